"""Named registry errors: each carries a stable code, a message, and the fields at fault."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What sort of refusal it is; the HTTP layer maps each kind to one status code."""

    UNAUTHENTICATED = "unauthenticated"  # 401
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404
    CONFLICT = "conflict"  # 409
    TOO_LARGE = "too_large"  # 413
    INVALID = "invalid"  # 422
    TOO_MANY = "too_many"  # 429
    UNAVAILABLE = "unavailable"  # 503


@dataclass(frozen=True)
class FieldError:
    pointer: str
    message: str


class RegistryError(Exception):
    """A refused command. ``code`` is stable and machine-readable; ``message`` is for people."""

    kind: Kind = Kind.INVALID

    def __init__(
        self, code: str, message: str, fields: tuple[FieldError, ...] = (), *, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields
        self.retry_after_s = retry_after_s  # sent as Retry-After (429, 503)


class Unauthenticated(RegistryError):
    kind = Kind.UNAUTHENTICATED


class Forbidden(RegistryError):
    kind = Kind.FORBIDDEN


class NotFound(RegistryError):
    kind = Kind.NOT_FOUND

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what}_not_found", f"no {what.replace('_', ' ')} with id {ident!r}")


class Conflict(RegistryError):
    kind = Kind.CONFLICT


class TooLarge(RegistryError):
    kind = Kind.TOO_LARGE


class Invalid(RegistryError):
    kind = Kind.INVALID


class TooManyRequests(RegistryError):
    kind = Kind.TOO_MANY


class Unavailable(RegistryError):
    """Something the registry depends on (the chain's RPC) did not answer: nothing was taken."""

    kind = Kind.UNAVAILABLE


def invalid_field(code: str, pointer: str, message: str) -> Invalid:
    return Invalid(code, message, (FieldError(pointer, message),))
