"""Who is calling the read API. The evaluator never asks pact-registry (no service calls
another): it learns API keys from the registry's ApiKeyIssued / ApiKeyRevoked events, folded
into its own table (pactline_identities), and checks a presented key's HMAC against them
(docs/evaluation.md, "Read API")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import asyncpg

from pactline_identities import KeyRefused, api_keys, known_keys


@dataclass(frozen=True, slots=True)
class Principal:
    principal_id: str
    role: str  # "admin", "operator", "buyer" or "auditor", as the registry assigns them


class Unauthenticated(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Forbidden(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Authenticator(Protocol):
    async def authenticate(self, bearer: str | None) -> Principal:
        """The principal the presented key belongs to; raise Unauthenticated (or Forbidden)."""
        ...


class RegistryKeys:
    """Keys as the registry announced them; a key must hold the ``read`` scope to read verdicts."""

    def __init__(self, pool: asyncpg.Pool, pepper: str) -> None:
        self.pool = pool
        self.pepper = pepper

    async def authenticate(self, bearer: str | None) -> Principal:
        presented = bearer or ""
        key_id = api_keys.key_id_of(presented)
        known = await known_keys.known_key(self.pool, key_id) if key_id else None
        try:
            key = api_keys.authenticate(presented, known, self.pepper)
        except KeyRefused as refused:
            raise Unauthenticated(refused.code, refused.message) from None
        if "read" not in key.scopes:
            raise Forbidden("missing_scope", "this API key lacks the 'read' scope")
        return Principal(key.principal_id, key.role)


READ_ALL_ROLES = frozenset({"admin", "auditor"})


def may_read(principal: Principal, buyer_id: str, operator_id: str) -> bool:
    """The task's buyer and the agent's operator read its verdict; admins and auditors read all."""
    return principal.role in READ_ALL_ROLES or principal.principal_id in (buyer_id, operator_id)
