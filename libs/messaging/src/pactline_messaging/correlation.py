"""The correlation id of the work in progress, for logs; set by HTTP middleware and consumers."""

from __future__ import annotations

from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("pactline_correlation_id", default=None)
