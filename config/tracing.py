"""Tracing (SPEC section 16): OpenTelemetry when an OTLP endpoint is configured, ids in logs always.

- With `OTEL_EXPORTER_OTLP_ENDPOINT` set, `configure_tracing()` (called by the WSGI/ASGI entry
  points before Django loads its middleware, and by the worker at start) sets up the SDK with a
  batching OTLP/HTTP exporter and the official instrumentations for Django, psycopg, Redis and,
  when installed, Celery. The Django instrumentation continues an incoming `traceparent`.
- Without it nothing from the SDK is imported or run. `RequestIdMiddleware` still reads an
  incoming W3C `traceparent` (a regex, no SDK) so its trace id is in every log line of the
  request; without one it makes up a trace id, so a request and the tasks it queues share one.
  Each request gets a span id of its own. Queued tasks carry `traceparent` in their headers
  (`connect_celery_signals`), and the worker's log lines show the same trace id.

The standard `OTEL_*` variables (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`,
`OTEL_TRACES_SAMPLER`, ...) are read by the SDK itself.
"""

import os
import re
import secrets
from contextvars import ContextVar, Token
from typing import Any

# (trace id, span id) of the current request or task, as 32 and 16 lowercase hex digits.
trace_var: ContextVar[tuple[str, str]] = ContextVar("trace", default=("-", "-"))

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16
_enabled = False


def tracing_enabled() -> bool:
    """Whether the OpenTelemetry SDK was set up in this process."""
    return _enabled


def parse_traceparent(header: str) -> str | None:
    """The trace id of a valid W3C `traceparent` header, else None."""
    match = _TRACEPARENT.match(header.strip().lower()) if header else None
    if match is None:
        return None
    version, trace_id, parent_id, _flags = match.groups()
    if version == "ff" or trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return trace_id


def new_span_id() -> str:
    return secrets.token_hex(8)


def begin(traceparent: str | None) -> tuple[str, str]:
    """The (trace id, span id) of a unit of work continuing `traceparent`, or a new trace."""
    trace_id = parse_traceparent(traceparent) if traceparent else None
    if trace_id is not None:
        return trace_id, new_span_id()
    ids = os.urandom(24).hex()  # both from one call: this runs on every request
    return ids[:32], ids[32:]


def current_ids() -> tuple[str, str]:
    """The ids for a log line: the active OpenTelemetry span's when the SDK is on, else our own."""
    if _enabled:
        from opentelemetry import trace

        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            return format(context.trace_id, "032x"), format(context.span_id, "016x")
    return trace_var.get()


def current_traceparent() -> str | None:
    trace_id, span_id = current_ids()
    return None if trace_id == "-" else f"00-{trace_id}-{span_id}-01"


def configure_tracing(tracer_provider: Any = None) -> bool:
    """Set up the SDK and the instrumentations if OTEL_EXPORTER_OTLP_ENDPOINT is set (or a provider is given).

    Returns whether tracing is on. Safe to call more than once.
    """
    global _enabled
    if _enabled:
        return True
    if tracer_provider is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    from opentelemetry import trace
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    if tracer_provider is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        os.environ.setdefault("OTEL_SERVICE_NAME", "movies-api")
        tracer_provider = TracerProvider(resource=Resource.create())
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(tracer_provider)

    # Probes and scrapes every few seconds would drown the real traffic.
    DjangoInstrumentor().instrument(tracer_provider=tracer_provider, excluded_urls="health/,metrics")
    PsycopgInstrumentor().instrument(tracer_provider=tracer_provider, skip_dep_check=True)
    RedisInstrumentor().instrument(tracer_provider=tracer_provider)
    try:
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
    except ImportError:  # Celery is not installed
        pass
    else:
        CeleryInstrumentor().instrument(tracer_provider=tracer_provider)
    _enabled = True
    return True


def unconfigure_tracing() -> None:
    """Undo `configure_tracing` (tests)."""
    global _enabled
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (DjangoInstrumentor(), PsycopgInstrumentor(), RedisInstrumentor()):
        instrumentor.uninstrument()
    _enabled = False


_task_tokens: dict[str, Token[tuple[str, str]]] = {}


def connect_celery_signals() -> None:
    """Carry the trace of the request that queues a task into the task's log lines (SDK off or on).

    Call it where the Celery app is set up. With the SDK on, the Celery instrumentation also
    propagates the span context itself.
    """
    from celery import signals

    signals.before_task_publish.connect(inject_traceparent, weak=False, dispatch_uid="tracing_inject")
    signals.task_prerun.connect(enter_task_trace, weak=False, dispatch_uid="tracing_enter")
    signals.task_postrun.connect(leave_task_trace, weak=False, dispatch_uid="tracing_leave")


def inject_traceparent(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """`before_task_publish`: queue the current trace with the task (unless the caller gave one)."""
    traceparent = current_traceparent()
    if headers is not None and traceparent:
        headers.setdefault("traceparent", traceparent)


def enter_task_trace(task_id: str, task: Any, **kwargs: Any) -> None:
    """`task_prerun`: continue the queued trace (or start one) for the task's log lines."""
    request = task.request
    header = getattr(request, "traceparent", None) or (getattr(request, "headers", None) or {}).get("traceparent")
    _task_tokens[task_id] = trace_var.set(begin(header))


def leave_task_trace(task_id: str, **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        trace_var.reset(token)
