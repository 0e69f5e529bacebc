#!/usr/bin/env python3
"""Server-side CPU per request, which a shared machine's load does not distort the way it does
req/s: each server (`.ci/stack.py`'s SERVERS: granian as bin/serve ships it, gunicorn's gthread
and sync workers) with 1 worker, N requests sent one after another on one keep-alive connection
(a new connection per request with --close), and the CPU time (user + system, from /proc) its
processes spent meanwhile, divided by N.

    .venv/bin/python bench/server_cpu.py [--requests 3000] [--path /health/live] [--close]
        [--app config.wsgi:application] [--servers granian,gthread,sync]

Needs DATABASE_URL and REDIS_URL (production settings start with them; /health/live uses neither).
"""

import argparse
import http.client
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".ci"))
import stack as harness

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: set[int]) -> float:
    return sum(cpu_by_pid(pids).values())


def cpu_by_pid(pids: set[int]) -> dict[int, float]:
    """The CPU seconds (user + system) each of `pids` has spent, for those still running."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return found


def tree(pid: int) -> set[int]:
    """`pid` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo += children.get(current, [])
    return found


def measure(server: str, app: str, path: str, requests: int, close: bool) -> tuple[float, float]:
    directory = Path(tempfile.mkdtemp(prefix="server-cpu."))
    port = harness.free_ports(1)[0]
    env = {**os.environ, **harness.PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), "WEB_THREADS": "8"}
    process = harness.start_server_process(env, directory, port, 1, server=server, app=app, booted=directory / "b")
    try:
        if harness.wait_until(lambda: harness.call(port, "GET", path, timeout=2).status == 200, 60, 0.2) is None:
            raise RuntimeError(f"{server} never answered {path}")
        pids = tree(process.pid)
        headers = {"Connection": "close"} if close else {}
        for _ in range(200):  # warm
            harness.call(port, "GET", path)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        before, started = cpu_seconds(pids), time.perf_counter()
        for _ in range(requests):
            if close:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{server}: {path} answered {response.status}")
        wall, cpu = time.perf_counter() - started, cpu_seconds(pids) - before
        connection.close()
        return cpu / requests * 1e6, wall / requests * 1e6
    finally:
        harness.stop_process(process, timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--path", default="/health/live")
    parser.add_argument("--app", default="config.wsgi:application")
    parser.add_argument("--servers", default=",".join(harness.SERVERS))
    parser.add_argument("--close", action="store_true")
    args = parser.parse_args()
    for server in args.servers.split(","):
        cpu, wall = measure(server, args.app, args.path, args.requests, args.close)
        print(
            f"{server:8} {args.app} {args.path} {'close' if args.close else 'keep-alive'}: "
            f"{cpu:.0f} µs server CPU per request, {wall:.0f} µs wall per request ({args.requests} requests)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
