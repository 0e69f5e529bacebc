#!/usr/bin/env python3
"""`make fuzz`: schemathesis against a live server on PostgreSQL and Redis, every check, every operation.

Starts its own PostgreSQL and Redis (.ci/services), loads the demo catalogue, runs gunicorn
with production settings, and fuzzes the OpenAPI schema of both API versions with a regular
user's bearer token. Exits non-zero on any failure.

Excluded, on purpose: DELETE /api/users/me/ (it would delete the fuzzing account and turn
every later request into a 401); it has its own tests in users/tests. Throttle rates are
raised so that the fuzzer reaches the code behind the throttles; the throttles have their
own tests.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
MAX_EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "30")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    services_dir = Path(tempfile.mkdtemp(prefix="movies-fuzz."))
    env = {**os.environ, "SERVICES_DIR": str(services_dir), "PG_PORT": str(free_port()), "REDIS_PORT": str(free_port())}
    server = None
    try:
        out = subprocess.run([ROOT / ".ci/services", "start"], env=env, check=True, capture_output=True, text=True)
        for line in out.stdout.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
        port = free_port()
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY=secrets.token_urlsafe(50),
            SECURE_SSL_REDIRECT="false",
            ALLOWED_HOSTS="127.0.0.1",
            LOG_LEVEL="WARNING",
            THROTTLE_LOGIN="100000/min",
            THROTTLE_REGISTER="100000/min",
            THROTTLE_WRITES="100000/min",
        )

        def manage(*args: str) -> str:
            return subprocess.run(
                [BIN / "python", "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
            ).stdout

        manage("collectstatic", "--noinput", "-v0")
        manage("migrate", "--noinput", "-v0")
        manage("load_demo_data")
        token = manage(
            "shell",
            "-c",
            "from rest_framework_simplejwt.tokens import AccessToken\n"
            "from users.models import User\n"
            "user = User.objects.create_user('fuzzer', 'fuzzer@example.com', 'fuzz-pass-1234!')\n"
            "print(AccessToken.for_user(user))",
        ).splitlines()[-1]  # the shell may print a notice of its automatic imports first
        server = subprocess.Popen(
            [BIN / "gunicorn", "--config", "config/server.py", "--bind", f"127.0.0.1:{port}", "--workers", "3"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        failed = False
        for version in ("1", "2"):
            print(f"== fuzzing version {version} ==", flush=True)
            result = subprocess.run(
                [
                    BIN / "schemathesis",
                    "--config-file",
                    ROOT / ".ci" / "schemathesis.toml",
                    "run",
                    f"http://127.0.0.1:{port}/api/schema/?version={version}",
                    "--checks",
                    "all",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--header",
                    f"Accept: application/json; version={version}",
                    "--max-examples",
                    MAX_EXAMPLES,
                    "--workers",
                    "1",
                    "--generation-deterministic",
                    "--seed",
                    "1",
                    "--exclude-operation-id",
                    "users_me_destroy",
                    "--request-timeout",
                    "10",
                    "--no-color",
                ],
                cwd=ROOT,
                env=env,
            )
            failed = failed or result.returncode != 0
        return 1 if failed else 0
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        subprocess.run([ROOT / ".ci/services", "stop"], env=env, check=False, capture_output=True)
        shutil.rmtree(services_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
