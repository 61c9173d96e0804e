"""API keys: random secrets with a visible prefix and id, stored only as a keyed hash.

A key reads ``pl_live_<key_id>_<secret>``: the id finds the row, the HMAC of the whole key
(peppered from the environment) is compared in constant time. The key itself is returned
once, at creation, and is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "pl_live_"
_ID_HEX = 16


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str  # the full key; shown to the caller once

    def __repr__(self) -> str:  # keeps the secret out of tracebacks and debug logs
        return f"NewKey(key_id={self.key_id!r}, secret=<hidden>)"


def generate() -> NewKey:
    key_id = secrets.token_hex(_ID_HEX // 2)
    return NewKey(key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}")


def key_id_of(presented: str) -> str | None:
    """The id part of a presented key, or None when it is not shaped like one of ours."""
    if not presented.startswith(PREFIX) or len(presented) < len(PREFIX) + _ID_HEX + 2:
        return None
    key_id = presented[len(PREFIX) : len(PREFIX) + _ID_HEX]
    if presented[len(PREFIX) + _ID_HEX] != "_" or any(c not in "0123456789abcdef" for c in key_id):
        return None
    return key_id


def hash_key(presented: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), presented.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def matches(presented: str, stored_hash: str, pepper: str) -> bool:
    return hmac.compare_digest(hash_key(presented, pepper), stored_hash)
