"""Who is calling the read API. The evaluator never asks pact-registry (no service calls
another): it must learn API keys from the log. Until the registry publishes key events, the
evaluator has no key to check and refuses every call (docs/evaluation.md, "Read API")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Principal:
    principal_id: str
    role: str  # "admin", "operator", "buyer" or "auditor", as the registry assigns them


class Unauthenticated(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Authenticator(Protocol):
    async def authenticate(self, bearer: str | None) -> Principal:
        """The principal the presented key belongs to; raise Unauthenticated otherwise."""
        ...


class NoKeysKnown:
    """The authenticator until key events exist on the log: every call is refused."""

    async def authenticate(self, bearer: str | None) -> Principal:
        if not bearer:
            raise Unauthenticated("missing_api_key", "send an API key: Authorization: Bearer <key>")
        raise Unauthenticated(
            "api_key_unknown",
            "the evaluator learns API keys from the registry's key events, and has none yet",
        )


READ_ALL_ROLES = frozenset({"admin", "auditor"})


def may_read(principal: Principal, buyer_id: str, operator_id: str) -> bool:
    """The task's buyer and the agent's operator read its verdict; admins and auditors read all."""
    return principal.role in READ_ALL_ROLES or principal.principal_id in (buyer_id, operator_id)
