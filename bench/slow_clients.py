#!/usr/bin/env python3
"""SPEC section 8's slow-client promise on each server `make bench` compares, in more shapes than
`make bench` has time for: idle connections, trickled headers and trickled bodies, at several
counts, repeated. A harness stack of its own (seeded with the demo data), the same check as
`make bench` (`bench/run.py`'s `slow_client_check`).

    .venv/bin/python bench/slow_clients.py [--servers granian,gthread] [--workers 5]
        [--clients 10,50] [--trickled idle,headers,body] [--repeat 1]

WEB_THREADS sets the application threads per worker of every server (default 8, config/server.py);
servers are `.ci/stack.py`'s SERVERS: granian (bin/serve, shipped), gthread and sync (gunicorn).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import harness, slow_client_check  # bench/run.py, which imports the shared stack


def main() -> int:
    parser = argparse.ArgumentParser(description="SPEC 8's slow-client promise on each server make bench compares.")
    parser.add_argument("--servers", default="granian,gthread")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--clients", default="")
    parser.add_argument("--trickled", default="idle,headers,body")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    counts = [int(n) for n in (args.clients or f"{2 * args.workers},50").split(",")]
    harness.TAG = "slow-clients"
    with harness.stack("slow-clients") as stack:
        stack.start_services()
        stack.migrate()
        stack.seed()
        token = stack.mint(1).accounts[0].token
        for server in args.servers.split(","):
            stack.start_server(args.workers, server=server)
            for _ in range(2 * args.workers):  # every worker warm, the entry cached
                harness.call(stack.port, "GET", "/api/movies/42/", token=token)
            for trickled in args.trickled.split(","):
                for clients in counts:
                    for _ in range(args.repeat):
                        r = slow_client_check(stack.port, token, trickled, clients=clients)
                        harness.log(
                            f"{server}, {args.workers} workers, {clients} clients trickling {trickled}: "
                            f"{r['answered']} of {r['probes']} answered ({r['sent']} sent), slowest "
                            f"{r['slowest_ms']:.0f} ms: promise {'kept' if r['kept'] else 'BROKEN'}"
                        )
            stack.stop_server()
    return 0


if __name__ == "__main__":
    sys.exit(main())
