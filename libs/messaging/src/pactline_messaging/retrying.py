"""One retry policy for the whole runtime, built on tenacity.

Two kinds of failure are told apart by type. Infrastructure errors (the database or the
broker unreachable, a dropped connection) are never the message's fault: they are retried
with exponential backoff and jitter for as long as it takes and never count against a
message. Any other exception is the handler's (or the message's) fault: it is retried a few
times and then the message goes to the dead-letter topic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, NodeNotReadyError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused or reset connections, DNS
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # e.g. the connection was closed under us
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    # Concurrency, not content: PostgreSQL aborted the transaction because of what other
    # transactions did at the same moment; the same work succeeds when tried again.
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)
"""Errors that say "a dependency is unavailable (or busy)", not "this message is bad"."""

STARTUP_ERRORS: tuple[type[BaseException], ...] = (*INFRASTRUCTURE_ERRORS, asyncpg.PostgresError, KafkaError)
"""At start-up anything the database or broker says may just mean "not ready yet"."""


def is_infrastructure_error(exc: BaseException) -> bool:
    return isinstance(exc, INFRASTRUCTURE_ERRORS)


def _log_before_sleep(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: %s (%s); retry %d in %.1fs",
            what,
            type(exc).__name__,
            exc,
            state.attempt_number,
            state.next_action.sleep if state.next_action else 0,
        )

    return before_sleep


def startup_policy(what: str, attempts: int = 30, max_wait_s: float = 5.0) -> AsyncRetrying:
    """Dependencies may come up after us (Kubernetes starts pods in any order)."""
    return AsyncRetrying(
        retry=retry_if_exception_type(STARTUP_ERRORS),
        wait=wait_exponential_jitter(multiplier=0.5, max=max_wait_s),
        stop=stop_after_attempt(attempts),
        before_sleep=_log_before_sleep(what),
        reraise=True,
    )


class _HandlerAttempts:
    """Stops after ``limit`` failures of the handler itself; infrastructure failures are free."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.failures = 0

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None or is_infrastructure_error(exc):
            return False
        self.failures += 1
        return self.failures >= self.limit


def message_policy(what: str, max_attempts: int, base_wait_s: float = 0.2, max_wait_s: float = 5.0) -> AsyncRetrying:
    """Retry one message's effect: forever on infrastructure errors, ``max_attempts`` times else.

    After the last failed attempt the handler's exception is raised to the caller, which
    dead-letters the message. ``CancelledError`` (shutdown) is never retried.
    """
    return AsyncRetrying(
        retry=retry_if_exception(lambda exc: isinstance(exc, Exception)),
        wait=wait_exponential_jitter(multiplier=base_wait_s, max=max_wait_s),
        stop=_HandlerAttempts(max_attempts),
        before_sleep=_log_before_sleep(what),
        reraise=True,
    )
