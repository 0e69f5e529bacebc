"""A real Celery worker process on the real Redis broker rebuilds the model queued from a request context.

Needs REDIS_URL and PostgreSQL (the worker is another process: it must reach the test database,
which SQLite in memory cannot share). CI provides both.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from config.logging import request_id_var
from recommendations.models import SimilarityModel
from recommendations.tasks import rebuild_similarities

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(redis_url, settings, tmp_path):
    """`celery -A config worker` on its own queue, pointed at the test database and Redis."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): the worker process shares the test database")
    db = settings.DATABASES["default"]
    database_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_FORMAT": "console",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool", "solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    app.conf.task_always_eager = False
    try:
        yield queue, log
    finally:
        app.conf.task_always_eager = True
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_rebuilds_the_model_and_logs_the_request_id(taste, worker):
    queue, log = worker
    token = request_id_var.set("req-worker-test")
    try:
        result = rebuild_similarities.apply_async(queue=queue)
    finally:
        request_id_var.reset(token)

    deadline = time.monotonic() + 90
    while not SimilarityModel.objects.filter(is_active=True).exists():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.5)

    model = SimilarityModel.objects.get(is_active=True)
    assert model.pairs_count == 2
    # The worker logs the build under the request id that queued it.
    deadline = time.monotonic() + 20
    while "finished: SUCCESS" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    lines = [line for line in log.read_text().splitlines() if result.id in line or "similarity model" in line]
    assert any("[req-worker-test] recommendations: similarity model" in line for line in lines), lines
