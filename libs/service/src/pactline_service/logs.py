"""Structured JSON logs on stdout, each line carrying the service and the correlation id."""

from __future__ import annotations

import logging
import sys

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from pactline_messaging.correlation import correlation_id


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn attaches a copy of its message with ANSI colour codes for its own formatter.
        record.__dict__.pop("color_message", None)
        record.service = self._service
        record.correlation_id = correlation_id.get()
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else None
        return True


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_ContextFilter(service))
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(correlation_id)s %(trace_id)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(service)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter at INFO hides the service's own lines. FastStream's logger comes with a
    # coloured text handler of its own on stderr: its lines go through the handler above too.
    for noisy in ("aiokafka", "faststream", "uvicorn.access"):
        library = logging.getLogger(noisy)
        library.handlers.clear()
        library.propagate = True
        library.setLevel(max(logging.WARNING, root.level))


def broker_logger() -> logging.Logger:
    """The logger a service's FastStream broker writes through.

    Left to itself FastStream builds ``faststream.access.kafka``: its own coloured text handler
    on stdout, level INFO, not propagating, so every service printed a non-JSON line per batch
    whatever PACTLINE_LOG_FORMAT and PACTLINE_LOG_LEVEL said. Under ``faststream`` it goes
    through the root handler above (JSON, with service, correlation and trace ids) at the
    library level set there: the per-batch "Received"/"Processed" lines are dropped, the
    errors FastStream reports are kept.
    """
    return logging.getLogger("faststream.broker")
