#!/usr/bin/env python3
"""`make fuzz`: schemathesis against a live server on PostgreSQL and Redis, every check, every operation.

Starts the harness stack (`.ci/stack.py`: its own PostgreSQL and Redis, the demo catalogue,
bin/serve with production settings), and fuzzes the OpenAPI schema of both API versions with a regular
user's bearer token. Exits non-zero on any failure.

Excluded, on purpose: DELETE /api/users/me/ (it would delete the fuzzing account and turn
every later request into a 401); it has its own tests in users/tests. Throttle rates are
raised so that the fuzzer reaches the code behind the throttles; the throttles have their
own tests.
"""

import os
import subprocess
import sys

from stack import ROOT, Stack, log, raise_on_sigterm

BIN = ROOT / ".venv" / "bin"
MAX_EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "30")
WORKERS = 3
# Raised so that the fuzzer reaches the code behind the throttles, which have their own tests.
THROTTLES = {"THROTTLE_LOGIN": "100000/min", "THROTTLE_REGISTER": "100000/min", "THROTTLE_WRITES": "100000/min"}


def fuzz(stack: Stack, version: str, token: str) -> bool:
    """Schemathesis over one API version; whether every check passed."""
    print(f"== fuzzing version {version} ==", flush=True)
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(ROOT / ".ci" / "schemathesis.toml"),
        "run",
        f"http://127.0.0.1:{stack.port}/api/schema/?version={version}",
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
    ]
    return subprocess.run(command, cwd=ROOT, env=stack.env, check=False).returncode == 0


def main() -> int:
    raise_on_sigterm()
    with Stack("fuzz", **THROTTLES) as stack:
        stack.start_services()
        stack.manage("collectstatic", "--noinput", "-v0")
        stack.migrate()
        stack.seed()
        fuzzer = stack.mint(users=1).accounts[0]
        stack.start_server(WORKERS)
        log(f"bin/serve ({WORKERS} workers) on 127.0.0.1:{stack.port}; fuzzing as {fuzzer.username}")
        results = [fuzz(stack, version, fuzzer.token) for version in ("1", "2")]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
