"""Celery plumbing: the broker next to the cache, the beat schedule and beat's health check."""

import os
import time

import pytest
from celery.schedules import crontab

from config import celery_health
from config.settings.base import _beat_schedule, _next_redis_database


@pytest.mark.parametrize(
    ("cache", "broker"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1"),
        ("redis://:secret@redis:6379/4", "redis://:secret@redis:6379/5"),
        ("redis://redis:6379", "redis://redis:6379/1"),
        ("rediss://redis:6380/2?ssl_cert_reqs=required", "rediss://redis:6380/3?ssl_cert_reqs=required"),
    ],
)
def test_the_broker_is_the_caches_redis_on_the_next_database(cache, broker):
    assert _next_redis_database(cache) == broker


def test_the_nightly_rebuild_follows_the_configured_crontab():
    entry = _beat_schedule("15 4 * * 1")["rebuild-similarities"]
    assert entry["task"] == "recommendations.tasks.rebuild_similarities"
    assert entry["schedule"] == crontab(minute="15", hour="4", day_of_week="1")


def test_an_empty_schedule_turns_the_nightly_rebuild_off():
    assert _beat_schedule("  ") == {}


def test_a_malformed_schedule_is_refused_at_start_up():
    with pytest.raises(ValueError, match="5 crontab fields"):
        _beat_schedule("every night")


def test_beat_is_healthy_while_its_heartbeat_is_recent(tmp_path):
    heartbeat = tmp_path / "heartbeat"
    assert not celery_health.beat_is_alive(heartbeat, 30)  # never ticked
    heartbeat.touch()
    assert celery_health.beat_is_alive(heartbeat, 30)
    stale = time.time() - 91
    os.utime(heartbeat, (stale, stale))
    assert not celery_health.beat_is_alive(heartbeat, 30)


def test_the_health_command_answers_for_beat_only(tmp_path, settings, capsys):
    settings.CELERY_BEAT_HEARTBEAT_FILE = str(tmp_path / "heartbeat")
    assert celery_health.main(["x", "beat"]) == 1
    (tmp_path / "heartbeat").touch()
    assert celery_health.main(["x", "beat"]) == 0
    assert celery_health.main(["x", "worker"]) == 2


def test_beats_scheduler_touches_the_heartbeat_on_every_tick(tmp_path, settings):
    from config.celery import HeartbeatScheduler, app

    settings.CELERY_BEAT_HEARTBEAT_FILE = str(tmp_path / "heartbeat")
    scheduler = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
    try:
        assert scheduler.tick() > 0
    finally:
        scheduler.close()
    assert (tmp_path / "heartbeat").exists()
