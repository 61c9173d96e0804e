"""Event signatures: fixed vectors, the byte layout, and every reason a reader refuses an event."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from event_factories import T0, agent
from pactline_events import (
    GENESIS_HASH,
    EventSigningKey,
    EventVerifier,
    ForgedEvent,
    KeyMaterialError,
    MisroutedEvent,
    PendingEvent,
    TaskCompleted,
    TrustStore,
    WrongSigningKey,
    canonical_json,
    decode,
    encode,
    event_hash,
    producers_of,
    topics_written_by,
    verify_chain,
)
from pactline_events.signing import TrustedKey, insert_signature, remove_signature

# RFC 8032, section 7.1, TEST 1 (the empty message).
RFC_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
RFC_SIGNATURE = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
    "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

REGISTRY = EventSigningKey.from_text(RFC_SEED, "pact-registry")
EVALUATOR = EventSigningKey.generate("evaluator")
TRUST = TrustStore([REGISTRY.trusted(), EVALUATOR.trusted()])
VERIFIER = EventVerifier(TRUST)


def sealed(producer: str = "pact-registry", key_id: str | None = None, seq: int = 1, payload=None):
    return PendingEvent(
        event_id=UUID(int=seq),
        occurred_at=T0,
        stream_id="agent-a-1",
        correlation_id=UUID(int=1),
        payload=payload or agent(),
    ).seal(producer=producer, stream_seq=seq, prev_hash=GENESIS_HASH, key_id=key_id)


def test_ed25519_matches_rfc_8032():
    assert REGISTRY.trusted().public_hex == RFC_PUBLIC
    assert REGISTRY.private_key.sign(b"").hex() == RFC_SIGNATURE
    assert REGISTRY.key_id == "pact-registry:21fe31dfa154a261"  # SHA-256 of the public key, 16 digits


def test_fixed_event_vector():
    """docs/events.md quotes this vector: the RFC key signing a fixed AgentRegistered."""
    envelope, raw = REGISTRY.sign(sealed(key_id=REGISTRY.key_id))
    unsigned = encode(envelope.model_copy(update={"signature": None}))
    assert REGISTRY.private_key.sign(unsigned).hex() == envelope.signature
    assert unsigned.startswith(b'{"causation_id":null,')
    assert b'"key_id":"pact-registry:21fe31dfa154a261"' in unsigned
    assert envelope.signature == (
        "dc91e54ddcb55950313f4c78d5f563fcd152b42049234258a03b58ee1681ea9e"
        "f24a2d935bc2a51e2c2742a2f61701bcd9acc515e7cf030e627def3b587f1c09"
    )
    assert raw == unsigned.replace(b',"stream_id"', b',"signature":"' + envelope.signature.encode() + b'","stream_id"')
    assert raw == canonical_json(json.loads(raw))
    assert json.loads(raw)["signature"] == envelope.signature


def test_signing_is_deterministic_and_the_wire_bytes_are_canonical():
    first_envelope, first = REGISTRY.sign(sealed())
    _, again = REGISTRY.sign(sealed())
    assert first == again
    assert first == encode(first_envelope) == canonical_json(json.loads(first))
    assert event_hash(first_envelope) == event_hash(decode(first))
    assert encode(decode(first)) == first


def test_a_payload_given_as_canonical_bytes_by_the_caller_gives_the_same_bytes():
    envelope = sealed(key_id=REGISTRY.key_id)
    payload_json = canonical_json(envelope.payload.model_dump(mode="json"))
    assert encode(envelope, payload_json) == encode(envelope)
    assert REGISTRY.sign(envelope, payload_json) == REGISTRY.sign(envelope)


def test_unsigned_events_keep_their_bytes():
    envelope = sealed()
    assert b"signature" not in encode(envelope)
    assert b"key_id" not in encode(envelope)


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(min_size=1, max_size=40),
    stream=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30),
)
def test_the_signature_member_goes_where_canonical_json_puts_it(name, stream):
    envelope = sealed(payload=agent(name=name)).model_copy(update={"stream_id": stream})
    signed, raw = REGISTRY.sign(envelope)
    assert raw == canonical_json(signed.to_json_dict())
    assert remove_signature(raw, signed.signature) == encode(signed.model_copy(update={"signature": None}))
    VERIFIER.check(signed, raw)


def test_a_service_cannot_sign_in_another_producers_name():
    with pytest.raises(WrongSigningKey):
        EVALUATOR.sign(sealed(producer="pact-registry"))


def test_authentic_events_pass_on_their_topic():
    _envelope, raw = REGISTRY.sign(sealed())
    VERIFIER.check(decode(raw), raw, topic="pactline.agents.v1")


def refused(raw: bytes, topic: str | None = "pactline.agents.v1", verifier: EventVerifier = VERIFIER):
    data = json.loads(raw)
    with pytest.raises((ForgedEvent, MisroutedEvent)) as caught:
        verifier.check(decode(raw), raw, topic=topic)
    assert str(UUID(int=data["stream_seq"])) in str(caught.value)  # names the event
    return caught.value


def test_unsigned_event_is_forged_when_signatures_are_required():
    raw = encode(sealed())
    error = refused(raw)
    assert error.kind == "forged"
    assert "unsigned" in error.reason
    EventVerifier(TRUST, require_signatures=False).check(decode(raw), raw, topic="pactline.agents.v1")


def test_key_outside_the_trust_store_is_forged():
    stranger = EventSigningKey.generate("pact-registry")
    _, raw = stranger.sign(sealed())
    assert "not in the trust store" in refused(raw).reason


def test_another_services_key_cannot_sign_its_events():
    # An event in the registry's name signed with the evaluator's key: the key is trusted, but
    # for the evaluator only.
    unsigned = encode(sealed(key_id=EVALUATOR.key_id))
    raw = insert_signature(unsigned, EVALUATOR.private_key.sign(unsigned).hex())
    error = refused(raw)
    assert "belongs to 'evaluator', not to producer 'pact-registry'" in error.reason


def test_a_producer_may_write_only_its_own_types():
    _signed, raw = EVALUATOR.sign(sealed(producer="evaluator"))
    error = refused(raw)
    assert "producer 'evaluator' may not write AgentRegistered (written by: pact-registry)" in error.reason


def test_an_altered_byte_breaks_the_signature():
    _, raw = REGISTRY.sign(sealed())
    altered = raw.replace(b"Support bot", b"Support bat")
    assert "does not verify" in refused(altered).reason


def test_a_signature_moved_into_the_payload_does_not_count():
    signed, raw = REGISTRY.sign(sealed())
    data = json.loads(raw)
    del data["signature"]
    data["payload"]["signature"] = signed.signature
    moved = canonical_json(data)
    assert remove_signature(moved, signed.signature) == encode(signed.model_copy(update={"signature": None}))
    # A log reader takes the top-level fields: no signature there, so the event is unsigned.
    with pytest.raises(ForgedEvent, match="unsigned"):
        verify_chain([moved], VERIFIER)


def test_an_authentic_event_on_another_topic_is_misrouted():
    _, raw = REGISTRY.sign(sealed())
    error = refused(raw, topic="pactline.verdicts.v1")
    assert error.kind == "misrouted"
    assert "AgentRegistered travels on pactline.agents.v1, not on pactline.verdicts.v1" in error.reason


def test_stand_in_topics_follow_the_routes_given():
    _, raw = REGISTRY.sign(sealed())
    VERIFIER.check(
        decode(raw), raw, topic="t-1.pactline.agents.v1", routes={"t-1.pactline.agents.v1": {"AgentRegistered"}}
    )
    with pytest.raises(MisroutedEvent):
        VERIFIER.check(
            decode(raw), raw, topic="pactline.agents.v1", routes={"t-1.pactline.agents.v1": {"AgentRegistered"}}
        )


def test_rotation_several_keys_per_producer():
    newer = EventSigningKey.generate("pact-registry", key_id="pact-registry:2027")
    verifier = EventVerifier(TrustStore([REGISTRY.trusted(), newer.trusted()]))
    for key in (REGISTRY, newer):
        signed, raw = key.sign(sealed())
        verifier.check(signed, raw)


def test_trust_store_round_trip_and_errors():
    assert {k.key_id for k in TrustStore.from_json(TRUST.to_json())} == {REGISTRY.key_id, EVALUATOR.key_id}
    with pytest.raises(KeyMaterialError, match="listed twice"):
        TrustStore([REGISTRY.trusted(), REGISTRY.trusted()])
    with pytest.raises(KeyMaterialError, match="public_key must be 64"):
        TrustStore.from_json({"keys": [{"key_id": "x", "producer": "jury", "public_key": "00"}]})
    with pytest.raises(KeyMaterialError, match="not a valid trust store"):
        TrustStore.from_json("[]")


def test_private_keys_load_from_pem_or_seed_and_never_show():
    again = EventSigningKey.from_text(REGISTRY.private_pem().decode(), "pact-registry")
    assert again.trusted().public_hex == RFC_PUBLIC
    assert RFC_SEED not in repr(REGISTRY)
    assert "PRIVATE" not in repr(REGISTRY)
    with pytest.raises(KeyMaterialError, match="neither a PKCS#8 PEM key") as caught:
        EventSigningKey.from_text("not a key", "jury")
    assert "not a key" not in str(caught.value)


def test_authority_table():
    assert producers_of("TaskCompleted") == ("pact-registry", "gateway")
    assert producers_of("NoSuchEvent") == ()
    assert [t.name for t in topics_written_by("evaluator")] == ["pactline.jury-requests.v1", "pactline.verdicts.v1"]
    assert [t.name for t in topics_written_by("gateway")] == ["pactline.acceptances.v1"]


def test_chain_verifier_with_signatures_names_the_forged_event():
    log = []
    prev = GENESIS_HASH
    for seq in (1, 2):
        envelope = PendingEvent(
            event_id=UUID(int=seq),
            occurred_at=T0,
            stream_id="agent-a-1",
            correlation_id=UUID(int=1),
            payload=agent(name=f"bot {seq}"),
        ).seal(producer="pact-registry", stream_seq=seq, prev_hash=prev)
        signed, raw = REGISTRY.sign(envelope)
        prev = event_hash(signed)
        log.append(raw)
    assert verify_chain(log, VERIFIER).verified == 2
    # A forger who reaches the topic appends a well-chained, unsigned third event.
    forged = PendingEvent(
        event_id=UUID(int=3),
        occurred_at=T0,
        stream_id="agent-a-1",
        correlation_id=UUID(int=1),
        payload=agent(name="forged"),
    ).seal(producer="pact-registry", stream_seq=3, prev_hash=prev)
    verify_chain([*log, encode(forged)])  # the chain alone cannot tell
    with pytest.raises(ForgedEvent, match=f"AgentRegistered {UUID(int=3)}.*seq 3.*unsigned"):
        verify_chain([*log, encode(forged)], VERIFIER)


def test_task_completed_from_the_gateway_is_authorised():
    assert "gateway" in producers_of(TaskCompleted.event_type)


def test_verification_follows_rfc_8032_test_vector_2():
    """RFC 8032, section 7.1, TEST 2: a one-byte message; any changed byte does not verify."""
    public = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
    signature = bytes.fromhex(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    )
    key = TrustedKey("vector:1", "vector", Ed25519PublicKey.from_public_bytes(public))
    assert key.verifies(signature, bytes([0x72]))
    assert not key.verifies(signature, bytes([0x73]))
    assert not key.verifies(bytes([signature[0] ^ 1]) + signature[1:], bytes([0x72]))


@settings(max_examples=200, deadline=None)
@given(message=st.binary(max_size=2048))
def test_libsodium_signs_exactly_as_openssl(message):
    """Ed25519 is deterministic: the signature the outbox makes (libsodium) is OpenSSL's, byte for byte."""
    assert REGISTRY.signature(message) == REGISTRY.private_key.sign(message)
    assert REGISTRY.trusted().verifies(REGISTRY.signature(message), message)


def test_libsodium_signature_of_the_rfc_8032_vector():
    assert REGISTRY.signature(b"").hex() == RFC_SIGNATURE
