"""A WSGI application for tests of the server itself (config/tests/test_server.py): it answers
with what the server put in the environ, after sleeping `?sleep=<seconds>`."""

import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "sleep" in query:
        time.sleep(float(query["sleep"][0]))
    body = json.dumps(
        {
            "REMOTE_ADDR": environ.get("REMOTE_ADDR"),
            "wsgi.url_scheme": environ.get("wsgi.url_scheme"),
            "HTTP_X_FORWARDED_FOR": environ.get("HTTP_X_FORWARDED_FOR"),
            "HTTP_X_FORWARDED_PROTO": environ.get("HTTP_X_FORWARDED_PROTO"),
            "HTTP_HOST": environ.get("HTTP_HOST"),
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
