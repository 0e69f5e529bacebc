"""Request-scoped logging context: every log line carries its request id and trace and span ids."""

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

from config.tracing import current_ids

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds `request_id`, `trace_id` and `span_id` to every record so that formatters can print them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.trace_id, record.span_id = current_ids()
        return True


class ClientErrorFilter(logging.Filter):
    """Logs a client's error as one WARNING line without a traceback.

    Django logs a request it refuses for the client's fault (a `Host` outside ALLOWED_HOSTS, too
    many fields, too large a body) on a `django.security.*` logger at ERROR, with the stack the
    exception unwound. That is about 1.5 KB per request a scanner can send at will, and an ERROR
    an alert may page someone for. The line stays (who sent what, with the request id); the
    stack, which says nothing the message does not, goes. Set on each logger by name in LOGGING:
    a logger's filters see only its own records.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_PLACED = {"message", "asctime", "request_id", "trace_id", "span_id"}
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | _PLACED
# What json.dumps(entry, default=str, ensure_ascii=False) would build on every call, built once
# (the same output: the C encoder, with the same options).
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, trace_id, span_id, then
    every `extra` field.

    The same keys python-json-logger wrote with this project's settings, at a fraction of the
    cost: the request log runs on every request, so no format-string parsing, no per-record
    attribute renaming, and the time's seconds formatted once per second rather than per line.
    """

    def __init__(self) -> None:
        super().__init__()
        self._second: tuple[int, str] = (-1, "")  # one tuple, replaced whole: safe across threads

    def _time(self, created: float) -> str:
        second = int(created)
        cached, text = self._second
        if cached != second:
            text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._second = (second, text)
        return f"{text},{int((created - second) * 1000):03d}"

    def format(self, record: logging.LogRecord) -> str:
        entry = self.entry(
            record.created,
            record.levelname,
            record.name,
            record.getMessage(),
            getattr(record, "request_id", None),
            getattr(record, "trace_id", None),
            getattr(record, "span_id", None),
        )
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(entry)

    def entry(
        self,
        created: float,
        level: str,
        name: str,
        message: str,
        request_id: str | None,
        trace_id: str | None,
        span_id: str | None,
    ) -> dict[str, Any]:
        """The fixed keys of a line, in order; `extra` fields follow them."""
        return {
            "time": self._time(created),
            "level": level,
            "logger": name,
            "message": message,
            "request_id": request_id,
            "trace_id": trace_id,
            "span_id": span_id,
        }


def _only_json_handler(logger: logging.Logger) -> logging.StreamHandler[Any] | None:
    """The one handler `logger`'s INFO records reach, if it is a plain `StreamHandler` writing
    `JsonFormatter` lines with no filter but `RequestIdFilter`, and no logger on the way filters.

    Anything else (a second handler, such as pytest's log capture; another formatter; a filter
    of someone's own) returns None, and the record takes logging's ordinary path."""
    found: logging.Handler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if (
        type(found) is not logging.StreamHandler
        or found.level > logging.INFO
        or type(found.formatter) is not JsonFormatter
        or any(type(f) is not RequestIdFilter for f in found.filters)
    ):
        return None
    return found


def log_info(logger: logging.Logger, message: str, extra: dict[str, Any]) -> None:
    """`logger.info(message, extra=extra)` for a line written on every request (the request log).

    With the production configuration (one stream handler writing JSON lines) the line is built
    and written directly: the same bytes `JsonFormatter` writes for that record, without a
    `LogRecord`, the logger and handler walk, or the per-record attribute scan (about a third of
    the log line's cost, which is paid on every request). Any other configuration, or an error
    writing, takes logging's own path, so its error handling and every handler still apply.
    The caller checks `logger.isEnabledFor(logging.INFO)` first.
    """
    handler = _only_json_handler(logger)
    if handler is None:
        logger.info("%s", message, extra=extra)
        return
    formatter: JsonFormatter = handler.formatter  # type: ignore[assignment]
    trace_id, span_id = current_ids()
    entry = formatter.entry(time.time(), "INFO", logger.name, message, request_id_var.get(), trace_id, span_id)
    entry.update(extra)
    line = _ENCODER.encode(entry) + handler.terminator
    handler.acquire()
    try:
        handler.stream.write(line)
        handler.flush()
        return
    except Exception:  # a failed write is reported the way logging reports it (below)
        pass
    finally:
        handler.release()
    logger.info("%s", message, extra=extra)
