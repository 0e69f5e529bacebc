"""Request-scoped logging context: every log line carries its request id and trace and span ids."""

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds `request_id`, `trace_id` and `span_id` to every record so that formatters can print them."""

    def filter(self, record: logging.LogRecord) -> bool:
        from config.tracing import current_ids

        record.request_id = request_id_var.get()
        record.trace_id, record.span_id = current_ids()
        return True
