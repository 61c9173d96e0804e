"""Events as a service would have written them: signed with the session key of their producer
(the root conftest makes one per producer), for tests that write to Kafka without an outbox."""

from __future__ import annotations

from pactline_events import Envelope
from pactline_messaging import event_keys


def signed(envelope: Envelope) -> Envelope:
    """``envelope`` signed by its producer's key; ``encode`` of the result is its wire bytes."""
    key = event_keys.signing_key(envelope.producer)
    assert key is not None, "tests always sign"
    return key.sign(envelope)[0]
