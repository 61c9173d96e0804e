"""The per-stream hash chain and its verifier, for auditors replaying the log.

Each event's ``prev_hash`` is the SHA-256 of the previous event of the same stream, exactly as
its bytes were written (canonical JSON); the first event of a stream has ``GENESIS_HASH``.
A missing event shows as a gap in ``stream_seq``, an altered one as a ``prev_hash`` mismatch
in its successor (or as non-canonical bytes), a fork as a different event at a position
already taken. The log is at-least-once: an exact redelivery (the same bytes again, so the
same event id) is counted and skipped, never taken for tampering.

Given an ``EventVerifier``, the chain verifier also checks each event's signature, producer and
topic (``pactline_events.signing``) before it joins its stream, and raises ``ForgedEvent`` or
``MisroutedEvent`` naming the event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .bounded_json import parse_json
from .canonical import canonical_json
from .envelope import GENESIS_HASH
from .errors import ChainBroken, MalformedEvent

if TYPE_CHECKING:
    from .signing import EventVerifier, Routes


@dataclass
class StreamHead:
    seq: int = 0
    hash: str = GENESIS_HASH


@dataclass
class ChainVerifier:
    """Feed events in log order (per stream order is what matters); raises ``ChainBroken``.

    ``add`` returns the event's hash, or None for an exact redelivery (skipped and counted in
    ``redeliveries``). The digest of every position is kept, so a redelivery of any earlier
    event is recognised, not only of the last one.
    """

    heads: dict[str, StreamHead] = field(default_factory=dict)
    verifier: EventVerifier | None = None
    """Checks signatures, producers and topics too; None checks the chain alone."""
    routes: Routes | None = None
    """What each topic carries, when not the catalog's topics (renamed copies)."""
    verified: int = 0
    redeliveries: int = 0
    _digests: dict[str, list[bytes]] = field(default_factory=dict, repr=False)

    def add(self, raw: bytes, topic: str | None = None) -> str | None:
        """Check one event's bytes against its stream; return its hash (None if redelivered).

        ``topic`` is where the event was read (checked by the verifier, when there is one).
        """
        try:
            data = parse_json(raw)
        except ValueError as exc:
            raise MalformedEvent(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise MalformedEvent("event must be a JSON object")
        stream_id, seq, prev = data.get("stream_id"), data.get("stream_seq"), data.get("prev_hash")
        if not isinstance(stream_id, str) or not isinstance(seq, int) or not isinstance(prev, str) or seq < 1:
            raise MalformedEvent("stream_id, stream_seq (>= 1) and prev_hash are required")
        try:
            canonical = canonical_json(data)
        except (TypeError, ValueError) as exc:
            raise ChainBroken(stream_id, seq, f"bytes are not canonical JSON ({exc})") from None
        if canonical != raw:
            raise ChainBroken(stream_id, seq, "bytes are not canonical JSON (event was re-encoded or edited)")
        if self.verifier is not None:
            self.verifier.check_fields(
                raw,
                event_type=data.get("event_type"),
                event_id=data.get("event_id"),
                stream_id=stream_id,
                stream_seq=seq,
                producer=data.get("producer"),
                key_id=data.get("key_id"),
                signature=data.get("signature"),
                topic=topic,
                routes=self.routes,
            )
        digest = hashlib.sha256(raw).digest()
        head = self.heads.setdefault(stream_id, StreamHead())
        digests = self._digests.setdefault(stream_id, [])
        if seq <= head.seq:
            if digests[seq - 1] == digest:
                self.redeliveries += 1
                return None
            raise ChainBroken(stream_id, seq, f"fork: a different event already holds seq {seq}")
        if seq != head.seq + 1:
            raise ChainBroken(stream_id, seq, f"expected seq {head.seq + 1}: missing event(s)")
        if prev != head.hash:
            raise ChainBroken(stream_id, seq, f"prev_hash {prev[:12]}... does not match the hash of seq {head.seq}")
        head.seq, head.hash = seq, digest.hex()
        digests.append(digest)
        self.verified += 1
        return head.hash


def verify_chain(events: Iterable[bytes], verifier: EventVerifier | None = None) -> ChainVerifier:
    """Verify every stream in ``events`` (and, with ``verifier``, every event's signature and
    producer); the result holds each stream's head and the counts."""
    chain = ChainVerifier(verifier=verifier)
    for raw in events:
        chain.add(raw)
    return chain
