"""Server-side hooks for gunicorn, shared by every command that starts the production server.

Use it with `gunicorn -c python:config.gunicorn config.wsgi:application ...` (the one server
command passes it); command-line options still override anything set here.

Prometheus' multiprocess mode (config.metrics): each worker writes its metrics to files in
`PROMETHEUS_MULTIPROC_DIR` and `/metrics` sums them. This module

- sets the directory when the environment does not (one per server, under the temp dir), before
  any worker imports prometheus_client;
- empties it when the server starts (`on_starting`), so counters from a previous run never leak
  into this one (only `*.db` files are removed, in case it points somewhere shared);
- tells the client when a worker exits (`child_exit`), so its live gauges stop counting;
- removes the directory it made itself when the server stops (`on_exit`).
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_OWN_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"movies-metrics-{os.getpid()}"))


def on_starting(server: Any) -> None:
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    server.log.info("Prometheus multiprocess directory: %s", directory)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _OWN_DIRECTORY:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
