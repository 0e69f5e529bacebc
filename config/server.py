"""The shipped server, in one place: granian's WSGI interface with this service's settings.

`bin/serve` (the one production server command: the image, compose, `make bench` and every
harness through `.ci/stack.py`) runs `python -m config.server [granian options...]`. This module
turns the environment into granian's command line, prepares Prometheus' multiprocess directory,
runs granian in this process (which becomes granian's main process, so SIGTERM reaches it
directly) and removes what it created when granian exits. Extra arguments are granian's own and
override these (`--log-level warning`, `--no-http1-keep-alive`, ...).

Why granian (issue 15, BENCHMARKS.md): its HTTP/1 parsing, keep-alive and connection handling
run in a Rust core, so the floor (`/health/live`) is 2-3x gunicorn's gthread workers on the same
workers and threads, cache hits and writes are level, and it keeps SPEC 8's slow-client promise
where gthread broke it (4 of 16 runs with 10 half-sent connections against 5 workers).

Slow clients (SPEC 8): the Rust core reads request headers on its own, without a Python thread,
so idle and half-sent-header connections cost no application thread (bounded by WEB_TIMEOUT, the
header read timeout). A request whose headers are complete but whose body trickles in holds one
blocking thread while the application reads it: WEB_THREADS per worker bound how many such bodies
are in flight, and the promise (twice the workers) holds while WEB_THREADS >= 2. In production
nginx (deploy/nginx.conf) buffers whole bodies before passing a request on, so that case only
arises for clients that reach the server directly.

Settings (environment), and the granian option each becomes:

- HOST, PORT (0.0.0.0, 8000): --host, --port.
- WEB_CONCURRENCY (2 x cores + 1): --workers, processes.
- WEB_THREADS (8): --blocking-threads, the application threads per worker. Each keeps its own
  database connection, so PostgreSQL sees up to WEB_CONCURRENCY x WEB_THREADS per replica.
- WEB_KEEPALIVE (5): 0 turns HTTP/1 keep-alive off (--no-http1-keep-alive); any other value leaves
  it on. granian has no separate idle keep-alive timeout: the header read timeout (WEB_TIMEOUT)
  also runs while a connection waits for its next request. An idle connection costs no thread.
- WEB_TIMEOUT (30): --http1-header-read-timeout, in seconds here (at most 60): how long a client
  may take to send its request headers, counted from the connection's opening or the previous
  response; then granian closes the connection (idle, keep-alive or half-sent alike).
- WEB_GRACEFUL_TIMEOUT (30): --workers-kill-timeout. On SIGTERM the workers stop taking
  connections and finish the requests they serve; one still running after this many seconds is
  killed.
- WEB_BACKLOG (2048): --backlog, connections the kernel queues before a worker accepts them.
- WEB_ACCESS_LOG (off): granian's access log, `-` for stdout or a file path. Off by default: the
  application writes one JSON line per request (config.middleware) with everything an access log
  has plus the request id, user and cache state.
- WEB_APP (config.wsgi:application): the WSGI application (harnesses wrap it to learn when each
  worker has loaded it).
- PROMETHEUS_MULTIPROC_DIR (a fresh directory per server run): see below.

What has no granian equivalent: gunicorn's worker `timeout` (a worker silent for 30 s was killed
and replaced). A request stuck in the application holds its thread until it returns; what bounds
it is below the server: PostgreSQL's `statement_timeout` and the cache client's socket timeouts.
gunicorn's `max_requests` has the nearest equivalent in `--workers-lifetime` (not used).

Failed workers are respawned (`--respawn-failed-workers`, at once). granian's crash-loop guard
stops the whole server if the same worker slot dies again within 5.5 s of being respawned; the
container's restart policy (`restart: unless-stopped` in compose) then starts it again.

Forwarded headers: granian never reads X-Forwarded-For or X-Forwarded-Proto (it has no proxy-
header option), so REMOTE_ADDR is the peer's address and `wsgi.url_scheme` the connection's.
Django trusts the scheme only when SECURE_PROXY_SSL_HEADER says so, and the throttles use
X-Forwarded-For only with NUM_PROXIES (config/settings/base.py). gunicorn's FORWARDED_ALLOW_IPS
no longer exists.

Prometheus' multiprocess mode (config/metrics.py): every worker writes its counters to files in
PROMETHEUS_MULTIPROC_DIR and `/metrics` sums them. Before any worker starts, this module chooses
the directory (a fresh one per server run under the temp directory unless the environment names
one), creates it, takes an exclusive lock on it (a second server pointed at the same directory
refuses to start instead of mixing or erasing the first one's counts) and removes stale `*.db`
files, so a previous run's counts never leak into this one. granian has no hook for a worker's
exit (gunicorn's child_exit, where `mark_process_dead` was called): that call only removes a dead
process's *live* gauge files (`livesum`, `liveall`, ...), and this service has no gauges, only
counters and histograms, which must keep a dead worker's counts anyway. So nothing is lost. A
directory this module created is removed when the server exits.
"""

import fcntl
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import IO

DEFAULT_APP = "config.wsgi:application"
MAX_HEADER_TIMEOUT = 60  # granian's limit, seconds


class ConfigurationError(ValueError):
    """A setting the server cannot start with; the message names the variable."""


def _number(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
    return value


def granian_arguments(env: Mapping[str, str], log_config: Path | None = None) -> list[str]:
    """granian's command line (without extra arguments) for the environment `env`."""
    cores = os.cpu_count() or 1
    workers = _number(env, "WEB_CONCURRENCY", 2 * cores + 1, 1)
    threads = _number(env, "WEB_THREADS", 8, 1)
    keepalive = _number(env, "WEB_KEEPALIVE", 5, 0)
    header_timeout = _number(env, "WEB_TIMEOUT", 30, 1)
    if header_timeout > MAX_HEADER_TIMEOUT:
        raise ConfigurationError(f"WEB_TIMEOUT must be at most {MAX_HEADER_TIMEOUT} seconds, not {header_timeout}")
    graceful = _number(env, "WEB_GRACEFUL_TIMEOUT", 30, 1)
    backlog = _number(env, "WEB_BACKLOG", 2048, 128)
    port = _number(env, "PORT", 8000, 1)
    arguments = [
        "--interface",
        "wsgi",
        "--host",
        env.get("HOST") or "0.0.0.0",  # the container's; bin/serve on a host: set HOST
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--http",
        "1",  # behind nginx, and what was measured; HTTP/2 would need TLS or prior knowledge anyway
        "--no-ws",
        "--backlog",
        str(backlog),
        "--http1-header-read-timeout",
        str(header_timeout * 1000),
        "--workers-kill-timeout",
        str(graceful),
        "--respawn-failed-workers",
        "--http1-keep-alive" if keepalive else "--no-http1-keep-alive",
        "--access-log" if env.get("WEB_ACCESS_LOG") else "--no-access-log",
    ]
    if log_config is not None:
        arguments += ["--log-config", str(log_config)]
    return arguments


def logging_config(access_log: str) -> dict[str, object]:
    """granian's logging: its own messages on stderr (like the application's log), the access log
    (when on) on stdout for `-`, else appended to the named file."""
    if access_log in ("", "-"):
        access_handler: dict[str, str] = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    else:
        access_handler = {"class": "logging.FileHandler", "filename": access_log}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "generic": {"()": "logging.Formatter", "fmt": "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"},
            "access": {"()": "logging.Formatter", "fmt": "%(message)s"},
        },
        "handlers": {
            "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
            "access": {"formatter": "access", **access_handler},
        },
        "loggers": {
            "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }


class MetricsDirectory:
    """Prometheus' multiprocess directory for one server run: chosen, created, locked, emptied."""

    LOCK = ".server.lock"

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        named = environ.get("PROMETHEUS_MULTIPROC_DIR", "")
        self.own = not named
        self.path = Path(named) if named else Path(tempfile.mkdtemp(prefix="movies-metrics-"))
        environ["PROMETHEUS_MULTIPROC_DIR"] = str(self.path)
        self._lock: IO[str] | None = None

    def prepare(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path / self.LOCK, "w")  # noqa: SIM115 - held for the server's lifetime
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise ConfigurationError(
                f"PROMETHEUS_MULTIPROC_DIR={self.path} is in use by another running server: give each server its own"
            ) from None
        for stale in self.path.glob("*.db"):
            stale.unlink(missing_ok=True)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        if self.own:
            shutil.rmtree(self.path, ignore_errors=True)


def main(argv: list[str]) -> int:
    environ = os.environ
    environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    metrics = MetricsDirectory(environ)  # sets PROMETHEUS_MULTIPROC_DIR, which the workers inherit
    runtime = Path(tempfile.mkdtemp(prefix="movies-server-"))
    try:
        metrics.prepare()
        log_config = runtime / "logging.json"
        log_config.write_text(json.dumps(logging_config(environ.get("WEB_ACCESS_LOG", ""))))
        arguments = [*granian_arguments(environ, log_config), *argv, environ.get("WEB_APP") or DEFAULT_APP]
    except ConfigurationError as error:
        print(f"bin/serve: {error}", file=sys.stderr)
        metrics.release()
        shutil.rmtree(runtime, ignore_errors=True)
        return 2

    from granian.cli import cli

    try:
        # standalone: usage errors are printed as granian's own, and it ends with SystemExit
        cli.main(args=arguments, prog_name="bin/serve", auto_envvar_prefix="GRANIAN")
    finally:
        metrics.release()
        shutil.rmtree(runtime, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
