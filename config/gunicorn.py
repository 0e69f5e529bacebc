"""Server-side hooks for gunicorn, shared by every command that starts the production server.

Use it with `gunicorn -c python:config.gunicorn config.wsgi:application ...` (the one server
command passes it); command-line options still override anything set here.

Prometheus' multiprocess mode (config.metrics): each worker writes its metrics to files in
`PROMETHEUS_MULTIPROC_DIR` and `/metrics` sums them. This module

- sets the directory when the environment does not (one per server, under the temp dir), before
  any worker imports prometheus_client;
- creates and empties it when gunicorn reads this file (before the application is preloaded),
  so counters from a previous run never leak into this one (only `*.db` files are removed, in
  case it points somewhere shared);
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


def _prepare(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


# Now, while gunicorn reads its configuration: with preload_app the application (and its
# metrics) is imported before any server hook runs.
_prepare(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]))


def on_starting(server: Any) -> None:
    server.log.info("Prometheus multiprocess directory: %s", os.environ["PROMETHEUS_MULTIPROC_DIR"])


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _OWN_DIRECTORY:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
