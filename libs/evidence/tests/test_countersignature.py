"""The countersigned task report: fixed EIP-712 vectors, an independent re-implementation of
the hashing from the spec, and every change to the report invalidating the signature."""

from __future__ import annotations

import hashlib

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from pactline_events import Countersignature
from pactline_evidence import CountersignatureInvalid, TaskReport, countersign, recover_signer, typed_data, verify

# anvil's account #1, a well-known test key: never holds value anywhere.
PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
PROVIDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OTHER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"

REPORT = TaskReport(
    acceptance_id="acc-0190d1a2",
    idempotency_key="order-1234-reply",
    escrow_job_id="42",
    input="Where is my order #1234?",
    output="Your order shipped yesterday; tracking: ZX12.",
    tool_calls=[{"name": "lookup_order", "arguments": {"order": 1234}}],
    reference=None,
    latency_ms=850,
    first_token_ms=None,
    cost=1200,
    tokens=310,
    input_tokens=200,
    output_tokens=110,
)


def _spec_digest(report: TaskReport) -> bytes:
    """EIP-712 hashing written from the specification, without eth_account's encoder."""
    fields = [
        ("acceptanceId", "string"),
        ("idempotencyKey", "string"),
        ("escrowJobId", "string"),
        ("inputDigest", "bytes32"),
        ("outputDigest", "bytes32"),
        ("toolCallsDigest", "bytes32"),
        ("referenceDigest", "bytes32"),
        ("latencyMs", "uint256"),
        ("firstTokenMs", "int256"),
        ("cost", "uint256"),
        ("tokens", "uint256"),
        ("inputTokens", "int256"),
        ("outputTokens", "int256"),
    ]
    type_string = "TaskReport(" + ",".join(f"{kind} {name}" for name, kind in fields) + ")"
    message = report.message()
    values = []
    for name, kind in fields:
        value = message[name]
        if kind == "string":
            values.append(("bytes32", keccak(text=value)))
        elif kind == "bytes32":
            values.append(("bytes32", bytes.fromhex(value[2:])))
        else:
            values.append((kind, value))
    struct_hash = keccak(
        abi_encode(["bytes32", *[k for k, _ in values]], [keccak(text=type_string), *[v for _, v in values]])
    )
    domain_hash = keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32"],
            [keccak(text="EIP712Domain(string name,string version)"), keccak(text="Pactline"), keccak(text="1")],
        )
    )
    return keccak(b"\x19\x01" + domain_hash + struct_hash)


def test_the_report_message_is_pinned():
    message = REPORT.message()
    assert message["outputDigest"] == "0x" + hashlib.sha256(REPORT.output.encode()).hexdigest()
    tool_calls = b'[{"arguments":{"order":1234},"name":"lookup_order"}]'
    assert message["toolCallsDigest"] == "0x" + hashlib.sha256(tool_calls).hexdigest()
    assert message["referenceDigest"] == "0x" + "00" * 32
    assert (message["firstTokenMs"], message["inputTokens"], message["outputTokens"]) == (-1, 200, 110)
    assert message["escrowJobId"] == "42"


def test_eip712_digest_matches_the_specification_and_the_pinned_vector():
    signable = encode_typed_data(full_message=typed_data(REPORT))
    library = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert library == _spec_digest(REPORT)
    assert library.hex() == PINNED_DIGEST


def test_countersignature_is_deterministic_and_recovers_the_provider():
    signed = countersign(REPORT, PROVIDER_KEY)
    assert signed.signer == PROVIDER
    assert signed.signature == PINNED_SIGNATURE
    assert recover_signer(REPORT, signed.signature) == PROVIDER
    verify(REPORT, signed, PROVIDER.lower())  # addresses compare case-insensitively


@pytest.mark.parametrize(
    "change",
    [
        {"acceptance_id": "acc-other"},
        {"idempotency_key": "order-1235-reply"},
        {"escrow_job_id": "43"},
        {"escrow_job_id": None},
        {"input": "Where is my order #1235?"},
        {"output": "Your order shipped yesterday; tracking: ZX13."},
        {"tool_calls": []},
        {"reference": ""},
        {"latency_ms": 10**12},
        {"first_token_ms": 0},
        {"cost": 1201},
        {"tokens": 311},
        {"input_tokens": None},
        {"output_tokens": 111},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_change_to_the_report_breaks_the_signature(change):
    signed = countersign(REPORT, PROVIDER_KEY)
    altered = REPORT.model_copy(update=change)
    with pytest.raises(CountersignatureInvalid, match="not by the provider's registered address") as caught:
        verify(altered, signed, PROVIDER)
    assert caught.value.recovered != PROVIDER


def test_a_signature_from_another_key_is_refused():
    forged = countersign(REPORT, OTHER_KEY)
    with pytest.raises(CountersignatureInvalid) as caught:
        verify(REPORT, forged, PROVIDER)
    assert caught.value.recovered == Account.from_key(OTHER_KEY).address


def test_a_claimed_signer_that_did_not_sign_is_refused():
    signed = countersign(REPORT, PROVIDER_KEY)
    claimed = Countersignature(signer=Account.from_key(OTHER_KEY).address, signature=signed.signature)
    with pytest.raises(CountersignatureInvalid, match="signer"):
        verify(REPORT, claimed, PROVIDER)


@pytest.mark.parametrize("signature", ["0x1234", "0x" + "zz" * 65, "0x" + "00" * 65])
def test_malformed_signatures_are_refused(signature):
    with pytest.raises(CountersignatureInvalid):
        recover_signer(REPORT, signature)


PINNED_DIGEST = "20cfd97d4c8452cee7fc427155d260d62cddcd31360790b145c2a8d20e5f63f1"
PINNED_SIGNATURE = (
    "0x95eae16e58779238357f679db6565615c9546755340137327a1a72f255028bec"
    "7c0d24813e908cb6d6913a6f2c57efca4cc1a6b9bea918a15ec47cd9e1b5a3f01b"
)
