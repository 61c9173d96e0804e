"""API keys: random secrets with a visible prefix and id, known anywhere only as a keyed hash.

A key reads ``pl_live_<key_id>_<secret>``: the 16 hex digits of the id find the key, and
``HMAC-SHA256(pepper, key)`` (hex) is compared in constant time with the one the registry
stored and announced. The key itself is returned once, at creation, and never stored, logged
or put in an event. Pure: no IO here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "pl_live_"
_ID_HEX = 16
# Compared when no key matches the id, so an unknown id costs as much as a wrong secret.
_DUMMY_HMAC = "0" * 64


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str  # the full key; shown to the caller once

    def __repr__(self) -> str:  # keeps the secret out of tracebacks and debug logs
        return f"NewKey(key_id={self.key_id!r}, secret=<hidden>)"


@dataclass(frozen=True)
class KnownKey:
    """A key as a service other than the registry knows it, from the registry's events."""

    key_id: str
    principal_id: str
    role: str  # "admin", "operator", "buyer" or "auditor"
    scopes: frozenset[str]
    key_hmac: str | None  # None while only the key's revocation has been seen
    revoked: bool


class KeyRefused(Exception):
    """The presented key authenticates no one. ``code`` is the API's error code (all 401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def generate() -> NewKey:
    key_id = secrets.token_hex(_ID_HEX // 2)
    return NewKey(key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}")


def key_id_of(presented: str) -> str | None:
    """The id part of a presented key, or None when it is not shaped like one of ours."""
    if not presented.startswith(KEY_PREFIX) or len(presented) < len(KEY_PREFIX) + _ID_HEX + 2:
        return None
    key_id = presented[len(KEY_PREFIX) : len(KEY_PREFIX) + _ID_HEX]
    if presented[len(KEY_PREFIX) + _ID_HEX] != "_" or any(c not in "0123456789abcdef" for c in key_id):
        return None
    return key_id


def key_hmac(presented: str, pepper: str) -> str:
    """HMAC-SHA256(pepper, key) as 64 hex digits: what the registry stores and announces."""
    return hmac.new(pepper.encode(), presented.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def matches(presented: str, stored_hmac: str | None, pepper: str) -> bool:
    return hmac.compare_digest(key_hmac(presented, pepper), stored_hmac or _DUMMY_HMAC)


def authenticate(presented: str, key: KnownKey | None, pepper: str) -> KnownKey:
    """The key the registry announced for ``presented`` (``key`` is what is known under its id),
    or ``KeyRefused``: missing, unknown or wrong (one answer for both), or revoked."""
    if not presented:
        raise KeyRefused("missing_api_key", "send a registry API key: Authorization: Bearer <key>")
    if not matches(presented, key.key_hmac if key is not None else None, pepper) or key is None:
        raise KeyRefused(
            "invalid_api_key", "the API key is not valid (a new key is known here seconds after the registry issued it)"
        )
    if key.revoked:
        raise KeyRefused("api_key_revoked", f"API key {key.key_id} was revoked")
    return key
