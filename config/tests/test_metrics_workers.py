"""/metrics under bin/serve (granian, config/server.py): one total across the workers, reset when the
server starts, a directory of its own per run, never shared by two running servers."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config.tests.serving import free_port, get, serve, stop

TOKEN = "worker-test-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def live_requests(body: bytes) -> float:
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels.get("route") == "health/live":
                return sample.value
    return 0.0


def test_counts_are_summed_across_workers_and_reset_at_start(tmp_path):
    directory = tmp_path / "metrics"
    for attempt in range(2):  # the second server must not inherit the first one's counts
        port = free_port()
        server = serve(port, PROMETHEUS_MULTIPROC_DIR=str(directory), METRICS_TOKEN=TOKEN, WEB_CONCURRENCY="3")
        try:
            for _ in range(30):  # a fresh connection each: the workers share the listening socket
                get(port, "/health/live")
            workers = {path.name for path in directory.glob("counter_*.db")}
            scrapes = [live_requests(get(port, "/metrics", BEARER)) for _ in range(6)]
        finally:
            stop(server)
        assert scrapes == [30.0] * 6, (attempt, scrapes)
        assert len(workers) >= 2, workers  # more than one worker answered, and their counts add up
    assert directory.is_dir()  # a directory the environment named is emptied, never removed


def test_a_second_server_on_a_metrics_directory_in_use_refuses_to_start(tmp_path):
    directory = tmp_path / "metrics"
    first = serve(free_port(), PROMETHEUS_MULTIPROC_DIR=str(directory), METRICS_TOKEN=TOKEN)
    try:
        files = sorted(path.name for path in directory.glob("*.db"))
        with pytest.raises(RuntimeError, match="is in use by another running server"):
            serve(free_port(), PROMETHEUS_MULTIPROC_DIR=str(directory))
        assert sorted(path.name for path in directory.glob("*.db")) == files  # the first one's files kept
    finally:
        stop(first)


def test_without_a_named_directory_each_run_gets_a_fresh_one_removed_at_exit(tmp_path):
    port = free_port()
    env = {"TMPDIR": str(tmp_path), "METRICS_TOKEN": TOKEN}
    server = serve(port, **env)
    try:
        get(port, "/health/live")
        created = [path for path in tmp_path.iterdir() if path.name.startswith("movies-metrics-")]
        assert len(created) == 1 and list(created[0].glob("counter_*.db"))
    finally:
        assert stop(server) == 0
    assert not any(tmp_path.iterdir())  # the metrics directory and the server's own files are gone
