"""The pact hash: SHA-256 of the canonical JSON (RFC 8785, JCS) of the normalized document."""

from __future__ import annotations

import hashlib

import rfc8785

from pactline_pacts.document import PactDocument


def pact_hash(doc: PactDocument) -> str:
    """64 lowercase hex digits; the commitment events and the escrow contract reference.

    Normalized means the model dumped in JSON mode with every default filled in and decimal
    strings in their normal form, so key order, whitespace, JSON-vs-YAML and "0.80"-vs-"0.8"
    do not change it. A document holds no floats (ratios are decimal strings), so its JCS
    bytes are the same as the event contract's canonical JSON of the same data.
    """
    if not isinstance(doc, PactDocument):
        raise TypeError(f"pact_hash takes a PactDocument, got {type(doc).__name__}")
    return hashlib.sha256(rfc8785.dumps(doc.normalized())).hexdigest()
