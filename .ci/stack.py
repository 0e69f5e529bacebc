#!/usr/bin/env python3
"""The stack every harness starts, in one place: `.ci/faults.py`, `.ci/soak.py`, `.ci/fuzz.py` and
`bench/run.py` (and any later one, such as `make scale`) use it instead of copies of their own.

- `Stack(name)`: PostgreSQL and Redis of its own through `.ci/services` (a fresh `SERVICES_DIR`
  under /tmp and free ports, so a harness may stop and restart them), `migrate`, seeding, users
  with tokens, and the production server started the way production starts it, through
  `bin/serve` (granian with the shipped configuration, config/server.py, production settings) on
  127.0.0.1 with `WEB_CONCURRENCY` workers; `serve()` starts a further one on another port.
- `start_server()` waits until `/health/ready` answers 200 and every worker has loaded the
  application; if the server exits or never gets there within the timeout it raises, with the
  tail of the server's log, so a harness whose server never becomes ready fails loudly.
  `start_server(..., server="gthread"|"sync")` runs the same application and settings on
  gunicorn's workers instead (`server_command`: candidates `make bench` compares, never what
  bin/serve ships). Every server a harness starts goes through `start_server_process`.
- `stop()` (also the context manager's exit) stops the server and the services and deletes the
  directory; it is idempotent and quiet.
- A small HTTP client (`call`, `Reply`) for harnesses that drive the service with threads.
- Beyond one machine (`make scale`): `start_replica()` (a streaming replica through
  `.ci/services start-replica`), `PgBouncer` and `Nginx` run from the shared configuration files
  under `deploy/` (only addresses rewritten: `render`), and `Web`, one more web replica through
  `bin/serve` on a port of its own.

Import it from a harness with `.ci` on `sys.path` (scripts in `.ci/` have it already).
"""

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
SERVE = ROOT / "bin" / "serve"
SERVICES = ROOT / ".ci" / "services"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_OS_USER = os.environ.get("PG_OS_USER", "postgres")
REQUEST_TIMEOUT = 15.0  # far above any healthy answer: a request that takes this long has hung
READY_TIMEOUT = 60.0  # seconds a server gets to become ready before the harness fails
HARNESS_PREFIX = "harness-"

TAG = Path(sys.argv[0]).stem or "harness"


def log(message: str) -> None:
    print(f"[{TAG} {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on, distinct because they are held open together while chosen."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def stop_process(process: "subprocess.Popen[bytes] | None", sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Send `sig` to a child that still runs and wait for it; SIGKILL it if it outlives `timeout`."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Reply:
    """One request's outcome; `status` is 0 when the connection failed (then `error` says how)."""

    kind: str
    method: str
    path: str
    status: int
    body: bytes
    headers: dict[str, str]
    started: float
    ended: float
    error: str = ""

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def cache(self) -> str:
        return self.headers.get("x-cache", "-")

    def json(self) -> Any:
        """The body as JSON (decimals as Decimal), None if it is not JSON."""
        try:
            return json.loads(self.body, parse_float=Decimal)
        except ValueError:
            return None

    def describe(self) -> str:
        outcome = self.error or f"{self.status} {self.body[:160]!r}"
        return f"{self.method} {self.path} -> {outcome} after {self.seconds:.2f} s"


def call(
    port: int,
    method: str,
    path: str,
    *,
    kind: str = "",
    token: str | None = None,
    payload: Any = None,
    version: str | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> Reply:
    """One request on a new connection (as a client without keep-alive sends it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    return exchange(connection, method, path, kind=kind, token=token, payload=payload, version=version)


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    kind: str = "",
    token: str | None = None,
    payload: Any = None,
    version: str | None = None,
) -> Reply:
    """One request on `connection` (connected or not), which is closed afterwards."""
    headers = {"Accept": "application/json" + (f"; version={version}" if version else "")}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = None
    if payload is not None:
        body = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        received = {name.lower(): value for name, value in response.getheaders()}
        return Reply(kind, method, path, response.status, content, received, started, time.monotonic())
    except (OSError, http.client.HTTPException) as exc:
        return Reply(kind, method, path, 0, b"", {}, started, time.monotonic(), f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def held_connections(port: int, count: int) -> list[http.client.HTTPConnection]:
    """`count` open connections, each accepted by a different worker, which then waits for its
    request (a sync worker serves one connection at a time): the other workers serve the rest."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT) for _ in range(count)]
    for connection in connections:
        with contextlib.suppress(OSError):
            connection.connect()
    time.sleep(0.3)  # time for the workers to accept them
    return connections


def with_param(path: str, name: str, value: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{name}={value}"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def concurrently(jobs: list[Callable[[], Reply]], threads: int) -> list[Reply]:
    """Run the requests `jobs` on `threads` threads at once; replies in the order of `jobs`."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda job: job(), jobs))


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> float | None:
    """Seconds until `predicate()` held, or None if it never did within `timeout`."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        time.sleep(interval)


# --- The stack: services, data, server ------------------------------------------------------


def run(command: list[str], env: dict[str, str]) -> str:
    """Run a command from the project's root; its output, or an error that shows what it said."""
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


@dataclass(frozen=True)
class Account:
    username: str
    token: str


@dataclass(frozen=True)
class Fixture:
    """Harness users with access tokens, and movie ids, most rated first."""

    accounts: list[Account]
    movies: list[int]


_MINT = """
import json, os
from rest_framework_simplejwt.tokens import AccessToken
from movies.models import Movie
from users.models import User
prefix, count = os.environ["HARNESS_PREFIX"], int(os.environ["HARNESS_USERS"])
users = User.objects.bulk_create(
    [User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password="!") for n in range(count)]
)
movies = list(Movie.objects.order_by("-ratings_count", "pk").values_list("pk", flat=True)[:1000])
with open(os.environ["HARNESS_OUT"], "w") as out:
    json.dump({"accounts": [[u.username, str(AccessToken.for_user(u))] for u in users], "movies": movies}, out)
"""


_APP_WRAPPER = """
import os
import pathlib

# The application a harness server runs: {app}, plus a file per worker that has loaded it, named
# by the worker's pid, so the harness knows when every worker serves.
from {module} import {attribute} as application  # noqa: F401

pathlib.Path({booted!r}, str(os.getpid())).touch()
"""

# "granian" is the shipped server (bin/serve, config/server.py); the others are gunicorn's
# workers, the candidates `make bench` compares it with (gunicorn is a development tool only).
SERVERS = ("granian", "gthread", "sync")
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def server_command(server: str, port: int, workers: int, app: str, threads: int, *options: str) -> list[str]:
    """The command line of `server` on 127.0.0.1:`port` with `workers` processes running `app`.

    granian is bin/serve itself (the production command; the address, workers and app reach it
    through the environment, see `start_server_process`). gthread and sync are gunicorn with the
    settings gunicorn was shipped with before granian (issue 15): `threads` threads per gthread
    worker (granian's blocking threads), 5 s keep-alive, 30 s worker timeout, no access log.
    `options` go to the server and override these."""
    if server == "granian":
        return [str(SERVE), "--log-level", "warning", *options]
    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r}: one of {', '.join(SERVERS)}")
    threads = threads if server == "gthread" else 1  # gunicorn runs "sync" as gthread when threads > 1
    return [
        str(GUNICORN),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        server,
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--timeout",
        "30",
        "--graceful-timeout",
        "30",
        "--log-level",
        "warning",
        *options,
        app,
    ]


def start_server_process(
    env: dict[str, str],
    directory: Path,
    port: int,
    workers: int,
    *options: str,
    server: str = "granian",
    app: str = "config.wsgi:application",
    booted: Path,
    access_log: Path | None = None,
    stderr: int = subprocess.DEVNULL,
    new_session: bool = False,
) -> "subprocess.Popen[bytes]":
    """The one way every harness starts a server (not waited for): `server` (`server_command`)
    serving `app` through a wrapper module in `directory` that marks each worker in `booted`
    once it has loaded the application. Prometheus' multiprocess directory is a fresh one per
    run (bin/serve chooses its own; gunicorn gets one here). `access_log`: a file the server
    appends one line per request to."""
    module, attribute = app.split(":")
    wrapper = f"harness_app_{port}"
    (directory / f"{wrapper}.py").write_text(
        _APP_WRAPPER.format(app=app, module=module, attribute=attribute, booted=str(booted))
    )
    booted.mkdir(exist_ok=True)
    run_env = {
        **env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT)]),
        "WEB_APP": f"{wrapper}:application",
    }
    threads = int(run_env.get("WEB_THREADS", "8"))
    if server == "granian":
        run_env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # bin/serve makes a fresh one per run
        if access_log is not None:
            run_env["WEB_ACCESS_LOG"] = str(access_log)
    else:
        metrics = Path(tempfile.mkdtemp(prefix=f"metrics-{port}-", dir=directory))
        run_env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        if access_log is not None:
            options = ("--access-logfile", str(access_log), *options)
    command = server_command(server, port, workers, f"{wrapper}:application", threads, *options)
    return subprocess.Popen(
        command, cwd=ROOT, env=run_env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=new_session
    )


# Production settings on plain HTTP over loopback, with a throwaway key.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
}


class Stack:
    """PostgreSQL and Redis of its own, a database and the production server (bin/serve).

    `env` is what every command and the server run with: the services' URLs once started,
    production settings, and whatever the harness adds (`Stack(name, THROTTLE_WRITES=...)`).
    """

    def __init__(self, name: str, **settings: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"movies-{name}."))
        self.port, pg_port, self.redis_port = free_ports(3)
        self.env = {
            **os.environ,
            "SERVICES_DIR": str(self.dir),
            "PG_PORT": str(pg_port),
            "REDIS_PORT": str(self.redis_port),
            **PRODUCTION_ENV,
            "SECRET_KEY": secrets.token_urlsafe(50),
            **settings,
        }
        self.server: subprocess.Popen[bytes] | None = None
        self.workers = 0
        self.server_log = self.dir / "server.log"
        self.booted = self.dir / "booted"

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # services
    def services(self, command: str) -> None:
        """`.ci/services start|stop` for this stack; `start` adds DATABASE_URL and REDIS_URL to `env`."""
        out = run([str(SERVICES), command], env=self.env)
        for line in out.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            self.env[key] = value

    def start_services(self) -> None:
        self.services("start")
        log(f"PostgreSQL at {self.env['DATABASE_URL']}, Redis at {self.env['REDIS_URL']}")

    def redis_cli(self, *args: str, timeout: float = 15.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def redis_answers(self) -> bool:
        try:
            return self.redis_cli("PING", timeout=2.0).stdout.strip() == "PONG"
        except subprocess.TimeoutExpired:
            return False

    def pg_ctl(self, *args: str) -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "pg"), *args]
        if os.geteuid() == 0:  # like .ci/services: PostgreSQL runs as an unprivileged user
            command = ["runuser", "-u", PG_OS_USER, "--", *command]
        run(command, env=self.env)

    # data
    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        return run([str(PYTHON), "manage.py", *args], env={**self.env, **(extra_env or {})})

    def migrate(self) -> None:
        self.manage("migrate", "--noinput", "-v0")

    def seed(self) -> str:
        """The project's demo catalogue if it has one, else a small synthetic dataset."""
        if list(ROOT.glob("*/management/commands/load_demo_data.py")):
            self.manage("load_demo_data")
            return "manage.py load_demo_data"
        args = ("generate_dataset", "--movies", "500", "--users", "300", "--ratings", "20000", "--seed", "1")
        self.manage(*args)
        return "manage.py " + " ".join(args)

    def mint(self, users: int) -> Fixture:
        """`users` fresh accounts named harness-<n> with access tokens, and the movies, most rated first."""
        out = self.dir / "fixture.json"
        self.manage(
            "shell",
            "-c",
            _MINT,
            extra_env={"HARNESS_PREFIX": HARNESS_PREFIX, "HARNESS_USERS": str(users), "HARNESS_OUT": str(out)},
        )
        data = json.loads(out.read_text())
        return Fixture([Account(name, token) for name, token in data["accounts"]], data["movies"])

    def start(self, users: int, workers: int) -> Fixture:
        """Services, a migrated and seeded database, `users` accounts with tokens, the server ready."""
        self.start_services()
        self.migrate()
        log(f"seeded with {self.seed()}")
        fixture = self.mint(users)
        self.start_server(workers)
        log(f"bin/serve ({workers} workers) on 127.0.0.1:{self.port}; {len(fixture.accounts)} users with tokens")
        return fixture

    # server
    def start_server(
        self, workers: int, *options: str, timeout: float = READY_TIMEOUT, server: str = "granian"
    ) -> None:
        """The server on 127.0.0.1:`port` with `workers` workers; returns once ready (every worker
        has loaded the application and /health/ready says 200), raises if it never is.

        `server` is the shipped one, "granian" (bin/serve), unless a harness compares candidates
        (`SERVERS`); `options` are that server's own.
        """
        self.workers = workers
        with open(self.server_log, "ab") as log_file:
            self.server = self.serve(self.port, workers, *options, server=server, stderr=log_file.fileno())
        if wait_until(lambda: self.server_exited() != "" or self.is_ready(), timeout, 0.2) is None:
            self.fail_to_start(f"the server ({server}) did not become ready within {timeout:.0f} s")
        if exited := self.server_exited():
            self.fail_to_start(exited)

    def serve(
        self,
        port: int,
        workers: int,
        *options: str,
        server: str = "granian",
        app: str = "config.wsgi:application",
        stderr: int = subprocess.DEVNULL,
    ) -> "subprocess.Popen[bytes]":
        """`server` (bin/serve unless a candidate is named) with the stack's environment on
        127.0.0.1:`port`, not waited for (`start_server_process`)."""
        return start_server_process(
            self.env, self.dir, port, workers, *options, server=server, app=app, booted=self.booted, stderr=stderr
        )

    def is_ready(self) -> bool:
        return len(self.serving_workers()) == self.workers and self.ready().status == 200

    def fail_to_start(self, why: str) -> None:
        tail = self.server_log.read_text(errors="replace").splitlines()[-40:] if self.server_log.exists() else []
        self.stop_server()
        raise RuntimeError(f"{why}; the last lines of its log:\n" + "\n".join(tail))

    def stop_server(self) -> None:
        stop_process(self.server, timeout=30)
        self.server = None
        with contextlib.suppress(FileNotFoundError):
            for path in self.booted.iterdir():
                path.unlink()

    def serving_workers(self) -> set[int]:
        """Workers that have loaded the application (the harness's wrapper module marked them)."""
        return self.worker_pids() & {int(path.name) for path in self.booted.iterdir()}

    def ready(self) -> Reply:
        return call(self.port, "GET", "/health/ready", kind="ready", timeout=10)

    def worker_pids(self) -> set[int]:
        """Live (not zombie) children of the server's main process, read from /proc."""
        if self.server is None:
            return set()
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, IndexError, ValueError):
                continue
            if int(ppid) == self.server.pid and state != "Z":
                found.add(int(entry.name))
        return found

    def server_errors(self) -> tuple[int, list[str]]:
        """How many lines of the server's log are errors the faults explain (a 503 logged by
        django.request, the server reporting a killed worker), and every other ERROR or traceback line."""
        if not self.server_log.exists():
            return 0, []
        lines = self.server_log.read_text(errors="replace").splitlines()
        errors = [line for line in lines if "ERROR" in line or "Traceback" in line]
        killed = ("was sent SIGKILL", "Unexpected exit from worker")  # gunicorn's words, granian's
        other = [line for line in errors if "Service Unavailable" not in line and not any(k in line for k in killed)]
        return len(errors) - len(other), other

    def server_exited(self) -> str:
        """Why the server's master process is gone, empty while it runs."""
        if self.server is None or self.server.poll() is None:
            return ""
        return f"the server's master process exited (code {self.server.returncode}); see the server log lines below"

    def stop(self) -> None:
        """Stop the server and the services, delete the directory; safe to call again."""
        self.stop_server()
        if self.dir.exists():
            self.stop_replica()
            subprocess.run([SERVICES, "stop"], env=self.env, check=False, capture_output=True, timeout=120)
            shutil.rmtree(self.dir, ignore_errors=True)

    cleanup = stop

    # beyond one machine
    def start_replica(self) -> str:
        """A streaming replica of this stack's PostgreSQL (pg_basebackup -R); its URL."""
        (self.replica_port,) = free_ports(1)
        self.env["PG_REPLICA_PORT"] = str(self.replica_port)
        self.services("start-replica")
        log(f"streaming replica at {self.env['DATABASE_REPLICA_URL']}")
        return self.env["DATABASE_REPLICA_URL"]

    def stop_replica(self) -> None:
        subprocess.run([SERVICES, "stop-replica"], env=self.env, check=False, capture_output=True, timeout=120)


# --- Beyond one machine: PgBouncer, nginx, more web replicas ---------------------------------

DEPLOY = ROOT / "deploy"


def render(source: Path, replacements: dict[str, str]) -> str:
    """`source` with each key replaced by its value; a key the file lacks is an error, so the shared
    file and the harness cannot drift apart silently."""
    text = source.read_text()
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"{source.name} no longer contains {old!r}: update the harness with it")
        text = text.replace(old, new)
    return text


class PgBouncer:
    """PgBouncer from deploy/pgbouncer.ini (transaction pooling), on loopback in front of `primary_port`
    (database `movies`) and `replica_port` (database `movies_replica`), with a password of its own."""

    BINARY = os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer")

    def __init__(self, directory: Path, primary_port: int, replica_port: int, user: str) -> None:
        self.dir = directory
        (self.port,) = free_ports(1)
        self.user = user
        self.password = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = directory / "pgbouncer.log"
        userlist = directory / "pgbouncer-users.txt"
        userlist.write_text(f'"{user}" "{self.password}"\n')
        self.config = directory / "pgbouncer.ini"
        self.config.write_text(
            render(
                DEPLOY / "pgbouncer.ini",
                {
                    "host=db port=5432": f"host=127.0.0.1 port={primary_port}",
                    "host=replica port=5432": f"host=127.0.0.1 port={replica_port}",
                    "listen_addr = 0.0.0.0": "listen_addr = 127.0.0.1",
                    "listen_port = 6432": f"listen_port = {self.port}\nunix_socket_dir =",
                    "auth_file = /etc/pgbouncer/userlist.txt": f"auth_file = {userlist}",
                },
            )
        )
        for path in (userlist, self.config):
            path.chmod(0o644)

    def url(self, database: str) -> str:
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        with open(self.log, "ab") as log_file:
            # PgBouncer refuses to run as root: as root, `-u` drops to the services' user itself, so a
            # signal reaches PgBouncer directly (runuser would delay a SIGTERM by 2 s).
            user = ["-u", PG_OS_USER] if os.geteuid() == 0 else []
            self.process = subprocess.Popen([self.BINARY, *user, str(self.config)], stdout=log_file, stderr=log_file)
        if wait_until(self.answers, 10) is None:
            raise RuntimeError("PgBouncer did not listen within 10 s:\n" + self.log.read_text()[-2000:])

    def answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True
        return False

    def stop(self) -> None:
        """Immediate shutdown (SIGTERM): every client and server connection is cut."""
        stop_process(self.process)
        self.process = None


class Nginx:
    """nginx from deploy/nginx.conf on 127.0.0.1, balancing over the given web ports."""

    BINARY = os.environ.get("NGINX", "/usr/sbin/nginx")

    def __init__(self, directory: Path) -> None:
        self.prefix = directory / "nginx"
        (self.prefix / "temp").mkdir(parents=True, exist_ok=True)
        self.prefix.chmod(0o755)
        (self.port,) = free_ports(1)
        self.config = self.prefix / "nginx.conf"
        self.process: subprocess.Popen[bytes] | None = None

    def configure(self, web_ports: list[int]) -> None:
        """Write the configuration with `web_ports` as the upstream servers (the first N of the file's)."""
        names = ["web1:8000", "web2:8000", "web3:8000"]
        replacements = {"listen 8080;": f"listen 127.0.0.1:{self.port};"}
        for index, name in enumerate(names):
            line = f"server {name} max_fails=1 fail_timeout=5s;"
            replacements[line] = (
                f"server 127.0.0.1:{web_ports[index]} max_fails=1 fail_timeout=5s;" if index < len(web_ports) else ""
            )
        self.config.write_text(render(DEPLOY / "nginx.conf", replacements))

    def _command(self, *args: str) -> list[str]:
        directives = f"daemon off; pid {self.prefix / 'nginx.pid'}; error_log {self.prefix / 'error.log'} warn;"
        if os.geteuid() == 0:
            directives += " user root;"  # the workers read the harness's private directory
        return [self.BINARY, "-p", f"{self.prefix}/", "-c", str(self.config), "-g", directives, *args]

    def start(self, web_ports: list[int]) -> None:
        self.configure(web_ports)
        test = subprocess.run(self._command("-t"), capture_output=True, text=True, check=False)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {test.stderr}")
        self.process = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait_until(lambda: call(self.port, "GET", "/health/live", timeout=2).status == 200, 15) is None:
            raise RuntimeError("nginx did not serve /health/live within 15 s")

    def reload(self, web_ports: list[int]) -> None:
        """New upstream servers without dropping a connection (SIGHUP: new workers, old ones drain)."""
        self.configure(web_ports)
        if self.process is not None:
            self.process.send_signal(signal.SIGHUP)
            time.sleep(1.0)

    def stop(self) -> None:
        stop_process(self.process, signal.SIGQUIT)  # graceful
        self.process = None


class Web:
    """One more web replica: bin/serve with the stack's environment (plus `settings`) on a port of its own
    (`HARNESS_SERVER` names a gunicorn candidate instead, see `harness_server`)."""

    def __init__(self, stack: Stack, name: str, workers: int, **settings: str) -> None:
        self.stack = stack
        self.name = name
        self.workers = workers
        (self.port,) = free_ports(1)
        self.settings = settings
        self.server = harness_server()
        # Requests one replica holds at once: its workers' application threads (config/server.py).
        threads = "1" if self.server == "sync" else {**stack.env, **settings}.get("WEB_THREADS", "8")
        self.capacity = workers * int(threads)
        self.log = stack.dir / f"{name}.log"
        self.access_log = stack.dir / f"{name}-access.log"  # which replica served what, over restarts
        self.booted = stack.dir / f"{name}-booted"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = READY_TIMEOUT) -> None:
        self.booted.mkdir(exist_ok=True)
        for path in self.booted.iterdir():
            path.unlink()
        with open(self.log, "ab") as log_file:
            self.process = start_server_process(
                {**self.stack.env, **self.settings},
                self.stack.dir,
                self.port,
                self.workers,
                server=self.server,
                booted=self.booted,
                access_log=self.access_log,
                stderr=log_file.fileno(),
                new_session=True,
            )
        if wait_until(lambda: self.exited() or self.ready(), timeout, 0.2) is None or self.exited():
            tail = self.log.read_text(errors="replace").splitlines()[-30:]
            self.kill()
            raise RuntimeError(f"{self.name} did not become ready:\n" + "\n".join(tail))

    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def ready(self) -> bool:
        booted = {path.name for path in self.booted.iterdir()}
        return len(booted) >= self.workers and call(self.port, "GET", "/health/ready", timeout=5).status == 200

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: a machine that vanished, in-flight requests lost."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def served(self) -> int:
        """Requests this replica has answered so far (lines of its access log)."""
        if not self.access_log.exists():
            return 0
        with open(self.access_log, "rb") as log_file:
            return sum(1 for _ in log_file)

    def error_lines(self) -> list[str]:
        if not self.log.exists():
            return []
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if "ERROR" in line or "Traceback" in line]


@contextlib.contextmanager
def stack(name: str, **settings: str) -> Iterator[Stack]:
    """`with stack("bench") as s:` a Stack stopped however the block ends."""
    with Stack(name, **settings) as started:
        yield started


def harness_server() -> str:
    """The server a harness's extra servers run: the shipped one (granian, bin/serve) unless
    HARNESS_SERVER names a candidate (`SERVERS`: gthread or sync, gunicorn's workers), to show
    what a scenario does on them."""
    server = os.environ.get("HARNESS_SERVER", "") or "granian"
    if server not in SERVERS:
        raise ValueError(f"HARNESS_SERVER={server!r}: one of {', '.join(SERVERS)}")
    return server


def raise_on_sigterm() -> None:
    """Turn SIGTERM (a cancelled CI job) into SystemExit, so `finally` blocks clean up."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, handler)
