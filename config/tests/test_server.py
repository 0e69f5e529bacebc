"""The shipped server (bin/serve: granian through config/server.py): its settings, what it does with
proxy headers, and its shutdown. The metrics directory is tested in test_metrics_workers.py."""

import json
import secrets
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from config.server import ConfigurationError, granian_arguments
from config.tests.serving import ROOT, free_port, get, serve, stop

PROBE = "config.tests.wsgi_probe:application"
FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}


def option(arguments: list[str], name: str) -> str:
    return arguments[arguments.index(name) + 1]


def test_the_defaults_are_granian_wsgi_with_threads_keep_alive_and_no_access_log(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    arguments = granian_arguments({})
    assert option(arguments, "--interface") == "wsgi"
    assert (option(arguments, "--host"), option(arguments, "--port")) == ("0.0.0.0", "8000")
    assert option(arguments, "--workers") == "5"  # 2 x cores + 1
    assert option(arguments, "--blocking-threads") == "8"
    assert option(arguments, "--http1-header-read-timeout") == "30000"
    assert option(arguments, "--workers-kill-timeout") == "30"
    assert option(arguments, "--backlog") == "2048"
    assert {"--http1-keep-alive", "--no-access-log", "--respawn-failed-workers"} <= set(arguments)


def test_the_environment_sets_each_option():
    arguments = granian_arguments(
        {
            "HOST": "127.0.0.1",
            "PORT": "9000",
            "WEB_CONCURRENCY": "3",
            "WEB_THREADS": "4",
            "WEB_KEEPALIVE": "0",
            "WEB_TIMEOUT": "10",
            "WEB_GRACEFUL_TIMEOUT": "5",
            "WEB_BACKLOG": "512",
            "WEB_ACCESS_LOG": "-",
        }
    )
    assert (option(arguments, "--host"), option(arguments, "--port")) == ("127.0.0.1", "9000")
    assert (option(arguments, "--workers"), option(arguments, "--blocking-threads")) == ("3", "4")
    assert option(arguments, "--http1-header-read-timeout") == "10000"
    assert option(arguments, "--workers-kill-timeout") == "5"
    assert option(arguments, "--backlog") == "512"
    assert {"--no-http1-keep-alive", "--access-log"} <= set(arguments)
    assert "--http1-keep-alive" not in arguments


@pytest.mark.parametrize(
    "name, value",
    [("WEB_THREADS", "many"), ("WEB_CONCURRENCY", "0"), ("WEB_TIMEOUT", "61"), ("WEB_BACKLOG", "10"), ("PORT", "-1")],
)
def test_a_bad_setting_is_refused_with_its_name(name, value):
    with pytest.raises(ConfigurationError, match=name):
        granian_arguments({name: value})


def test_bin_serve_refuses_a_bad_setting_before_starting_anything():
    result = subprocess.run(
        [ROOT / "bin" / "serve"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "WEB_THREADS": "lots", "PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "WEB_THREADS must be a whole number" in result.stderr


def test_the_server_does_not_take_the_client_address_or_scheme_from_forwarded_headers():
    port = free_port()
    server = serve(port, ready_path="/", WEB_APP=PROBE)
    try:
        seen = json.loads(get(port, "/", FORWARDED))
    finally:
        stop(server)
    assert seen["REMOTE_ADDR"] == "127.0.0.1"
    assert seen["wsgi.url_scheme"] == "http"
    # The headers themselves reach the application untouched, for Django to trust or not.
    assert (seen["HTTP_X_FORWARDED_FOR"], seen["HTTP_X_FORWARDED_PROTO"]) == ("203.0.113.9", "https")


def status_without_redirects(port: int, path: str, headers: dict[str, str]) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


@pytest.mark.parametrize("trusted", [False, True])
def test_https_is_believed_from_a_proxy_header_only_when_secure_proxy_ssl_header_says_so(trusted):
    production = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https" if trusted else "",
    }
    port = free_port()
    server = serve(port, ready_path="/health/live", **production)
    try:
        # A path no route matches, so no database is needed: a 404 means it was served as https.
        status, location = status_without_redirects(port, "/api/", {"X-Forwarded-Proto": "https"})
    finally:
        stop(server)
    if trusted:
        assert (status, location) == (404, "")
    else:
        assert (status, location) == (301, f"https://127.0.0.1:{port}/api/")


def test_sigterm_lets_a_request_in_flight_finish_and_the_server_exit_cleanly():
    port = free_port()
    server = serve(port, ready_path="/", WEB_APP=PROBE)
    answers: list[bytes] = []
    request = threading.Thread(target=lambda: answers.append(get(port, "/?sleep=1.5")))
    request.start()
    time.sleep(0.5)
    code = stop(server)
    request.join(timeout=10)
    assert code == 0
    assert len(answers) == 1 and json.loads(answers[0])["REMOTE_ADDR"] == "127.0.0.1"


def test_web_access_log_names_the_file_granian_writes_one_line_per_request_to(tmp_path):
    access_log = tmp_path / "access.log"
    port = free_port()
    server = serve(port, ready_path="/", WEB_APP=PROBE, WEB_ACCESS_LOG=str(access_log))

    def counted() -> int:
        lines = access_log.read_text().splitlines() if access_log.exists() else []
        return len([line for line in lines if '"GET /counted HTTP/1.1" 200' in line])

    try:
        for _ in range(3):
            get(port, "/counted")
        # granian writes a request's line once the response is sent, so the last one may still be
        # on its way when the client has its answer (seen on a loaded machine).
        deadline = time.monotonic() + 10
        while counted() < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop(server)
    assert counted() == 3


@pytest.mark.parametrize("opening", [b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "])
def test_a_connection_that_sends_no_complete_headers_within_web_timeout_is_closed(opening):
    port = free_port()
    server = serve(port, ready_path="/", WEB_APP=PROBE, WEB_TIMEOUT="1")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(opening)
            started = time.monotonic()
            assert sock.recv(100) == b""  # closed by the server, with nothing sent
            waited = time.monotonic() - started
    finally:
        stop(server)
    assert 0.5 < waited < 5
