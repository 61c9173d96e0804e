"""The per-stream hash chain and its verifier, for auditors replaying the log.

Each event's ``prev_hash`` is the SHA-256 of the previous event of the same stream, exactly as
its bytes were written (canonical JSON); the first event of a stream has ``GENESIS_HASH``.
A missing event shows as a gap in ``stream_seq``, an altered one as a ``prev_hash`` mismatch
in its successor (or as non-canonical bytes), a reordered one as a sequence out of order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from .canonical import canonical_json
from .envelope import GENESIS_HASH
from .errors import ChainBroken, MalformedEvent


@dataclass
class StreamHead:
    seq: int = 0
    hash: str = GENESIS_HASH


@dataclass
class ChainVerifier:
    """Feed events in log order (per stream order is what matters); raises ``ChainBroken``."""

    heads: dict[str, StreamHead] = field(default_factory=dict)
    verified: int = 0

    def add(self, raw: bytes) -> str:
        """Check one event's bytes against its stream's head; return its hash."""
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise MalformedEvent(f"not JSON: {exc}") from None
        stream_id, seq, prev = data.get("stream_id"), data.get("stream_seq"), data.get("prev_hash")
        if not isinstance(stream_id, str) or not isinstance(seq, int) or not isinstance(prev, str):
            raise MalformedEvent("stream_id, stream_seq and prev_hash are required")
        if canonical_json(data) != raw:
            raise ChainBroken(stream_id, seq, "bytes are not canonical JSON (event was re-encoded or edited)")
        head = self.heads.setdefault(stream_id, StreamHead())
        if seq != head.seq + 1:
            what = "missing event(s)" if seq > head.seq + 1 else "duplicate or reordered event"
            raise ChainBroken(stream_id, seq, f"expected seq {head.seq + 1}: {what}")
        if prev != head.hash:
            raise ChainBroken(stream_id, seq, f"prev_hash {prev[:12]}... does not match the hash of seq {head.seq}")
        digest = hashlib.sha256(raw).hexdigest()
        head.seq, head.hash = seq, digest
        self.verified += 1
        return digest


def verify_chain(events: Iterable[bytes]) -> dict[str, StreamHead]:
    """Verify every stream in ``events``; return the head (last seq and hash) of each."""
    verifier = ChainVerifier()
    for raw in events:
        verifier.add(raw)
    return verifier.heads
