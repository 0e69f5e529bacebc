"""The shipped server configuration: gunicorn's config file, read by bin/serve (the one production
server command, used by the image, compose, the benchmark and every harness), which adds the
address ($HOST:$PORT) and the worker count ($WEB_CONCURRENCY) on its command line.

Threaded workers (`gthread`), because slow clients must not stall the service (SPEC section 8):
a sync worker reads one connection at a time, so one client that sends half a request holds a
whole worker until it gives up, and three such clients stop a two-worker deployment. A gthread
worker waits for idle connections in a poller and gives each readable one a thread of its own,
so a half-sent request holds one thread, not the worker. With THREADS threads per worker the
service stays responsive while fewer than WORKERS x THREADS connections are half-sent (the
promise is twice the worker count; `make faults` checks it with 2 workers).

Each thread keeps its own database connection (CONN_MAX_AGE), so PostgreSQL sees up to
WORKERS x THREADS connections per replica: size `max_connections` (or PgBouncer) for that.

Forwarded headers: gunicorn trusts `X-Forwarded-Proto` only from FORWARDED_ALLOW_IPS (its own
environment variable, default 127.0.0.1); set it to the proxy's address behind a proxy, never
to `*`. Django trusts the scheme only when SECURE_PROXY_SSL_HEADER says so.
"""

import os

wsgi_app = "config.wsgi:application"
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
# Idle keep-alive connections wait in the poller, not in a thread.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30

# No access log by default: the application writes one JSON line per request (config.middleware)
# with everything an access log has plus the request id, the user and the cache state, so a second
# line per request would only cost time. WEB_ACCESS_LOG=- turns gunicorn's own back on (stdout).
accesslog = os.environ.get("WEB_ACCESS_LOG", "") or None

# Prometheus' multiprocess mode (config/metrics.py): the metrics directory is chosen, emptied when
# the server starts and told about exited workers by these hooks (config/gunicorn.py).
from config.gunicorn import child_exit, on_exit, on_starting  # noqa: E402, F401
