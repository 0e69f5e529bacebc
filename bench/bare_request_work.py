#!/usr/bin/env python3
"""CPU of the work sections 10 and 16 ask of every request, done bare: the least a request log,
a request id and the request metrics can add to the floor in Python.

No middleware, no request, no logging machinery: in a loop, what any implementation has to do
per request at the least,

- a request id of 128 random bits (`os.urandom`), held in a context variable for the request's
  other log lines, and echoed in `X-Request-ID` (one header set on a Django response);
- the request's duration (two clock reads);
- one JSON line with SPEC 10's fields (time, level, logger, message, request id, trace ids,
  method, path, status, duration, user, cache), built by the encoder `config.logging` uses with
  the time's seconds formatted once per second as `JsonFormatter` does, and written to a stream
  (/dev/null: the disk's share is left out);
- one counter and one histogram observation (prometheus-client, in-process values: the server's
  mmap files cost more).

    bench/bare_request_work.py [-n 50000] [--rounds 3] [--json FILE]

`make bench` sets this against what is left of the floor's 0.8x budget once Django's own
required middleware has run (bench/report.py, "Lower bound of the floor").
"""

import argparse
import json
import os
import sys
import time
from contextvars import ContextVar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--count", type=int, default=50000, help="iterations per round (default 50000)")
    parser.add_argument("-r", "--rounds", type=int, default=3, help="rounds; the best is reported (default 3)")
    parser.add_argument("--json", help="append one JSON object to this file")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"  # the minimal project: no apps
    import django

    django.setup()
    from django.http import HttpResponse
    from prometheus_client import CollectorRegistry, Counter, Histogram

    from config.logging import _ENCODER, JsonFormatter
    from config.metrics import LATENCY_BUCKETS

    registry = CollectorRegistry()
    requests = Counter("requests", "", ["route", "method", "status"], registry=registry)
    latency = Histogram("latency", "", ["route", "method"], buckets=LATENCY_BUCKETS, registry=registry)
    counted = requests.labels("health/live", "GET", "200")
    timed = latency.labels("health/live", "GET")
    request_id_var: ContextVar[str] = ContextVar("request_id")
    formatter = JsonFormatter()
    stream = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    response = HttpResponse(b'{"status":"ok"}', content_type="application/json")

    def one_request() -> None:
        request_id = os.urandom(16).hex()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        duration_ms = (time.perf_counter() - started) * 1000
        response["X-Request-ID"] = request_id
        entry = formatter.entry(
            time.time(), "INFO", "config.request", f"GET /health/live 200 {duration_ms:.1f}ms", request_id, "-", "-"
        )
        entry.update(
            method="GET", path="/health/live", status=200, duration_ms=round(duration_ms, 2), user_id=None, cache=None
        )
        stream.write(_ENCODER.encode(entry) + "\n")
        stream.flush()
        counted.inc()
        timed.observe(duration_ms / 1000)
        request_id_var.reset(token)

    best = float("inf")
    for _ in range(args.rounds):
        cpu = time.process_time()
        for _ in range(args.count):
            one_request()
        best = min(best, (time.process_time() - cpu) / args.count)
    cpu_us = best * 1e6
    print(f"request id, log line and metrics, bare: {cpu_us:.1f} µs CPU")
    if args.json:
        row = {"target": "bare", "path": "log, id, metrics", "bust": False, "status": "", "cpu_us": cpu_us}
        with open(args.json, "a") as out:
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
