"""The pact hash: SHA-256 of the canonical JSON of the normalized document."""

from __future__ import annotations

from pactline_events.canonical import sha256_hex
from pactline_events.pacts.document import PactDocument


def pact_hash(doc: PactDocument) -> str:
    """64 lowercase hex digits; the commitment events and the escrow contract reference.

    Normalized means the model dumped in JSON mode with every default filled in and decimal
    strings in their normal form, so key order, whitespace, JSON-vs-YAML and "0.80"-vs-"0.8"
    do not change it.
    """
    if not isinstance(doc, PactDocument):
        raise TypeError(f"pact_hash takes a PactDocument, got {type(doc).__name__}")
    return sha256_hex(doc.normalized())
