"""/metrics under bin/serve: one total across gunicorn workers, reset when the server starts."""

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "worker-test-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, token: str | None = None) -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def live_requests(body: bytes) -> float:
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels.get("route") == "health/live":
                return sample.value
    return 0.0


def serve(directory: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "METRICS_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    env.update({"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "3"})
    # The one production server command, with its gunicorn hooks (config/gunicorn.py).
    server = subprocess.Popen(
        [ROOT / "bin" / "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(150):
        try:
            get(port, "/health/ready")
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def test_counts_are_summed_across_workers_and_reset_at_start(tmp_path):
    directory = tmp_path / "metrics"
    for attempt in range(2):  # the second server must not inherit the first one's counts
        port = free_port()
        server = serve(directory, port)
        try:
            # Fresh connections: gunicorn's sync workers take them in turn.
            for _ in range(30):
                get(port, "/health/live")
            workers = {path.name for path in directory.glob("counter_*.db")}
            scrapes = [live_requests(get(port, "/metrics", TOKEN)) for _ in range(6)]
        finally:
            server.terminate()
            server.wait(timeout=30)
        assert scrapes == [30.0] * 6, (attempt, scrapes)
        assert len(workers) >= 2, workers  # more than one worker answered, and their counts add up
