"""Start bin/serve, the production server command, from a test: on a free port, waited for."""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def serve(port: int, ready_path: str = "/health/ready", **env: str) -> "subprocess.Popen[bytes]":
    """bin/serve with the test settings on 127.0.0.1:`port` and `env`; returns once `ready_path` answers."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        **env,
    }
    server = subprocess.Popen(
        [ROOT / "bin" / "serve", "--log-level", "warning"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"bin/serve exited ({server.returncode}): {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            get(port, ready_path)
            return server
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.1)
    stop(server)
    raise RuntimeError("bin/serve did not start within 30 s")


def stop(server: "subprocess.Popen[bytes]") -> int:
    server.terminate()
    try:
        return server.wait(timeout=40)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
