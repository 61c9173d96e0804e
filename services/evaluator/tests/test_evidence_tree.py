"""The evidence digest: fixed vectors, the leaf re-derived byte by byte from the spec in
docs/evaluation.md, the same tree as libs/escrow's (OpenZeppelin StandardMerkleTree), proofs."""

from __future__ import annotations

import hashlib

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from pactline_escrow.merkle import VerdictTree
from pactline_evaluator import evidence_tree
from pactline_evaluator.evidence_tree import (
    clause_tree,
    eth_abi_leaf_encoding,
    evidence_root,
    leaf_encoding,
    leaf_hash,
    result_data,
    result_digest,
    verify_clause,
)
from pactline_events import ClauseResult, Outcome, canonical_json

OUTPUT_DIGEST = "aa" * 32
NO_PII = ClauseResult(
    clause_id="no-pii",
    kind="no_pii",
    severity="must",
    weight=60,
    dimension="security",
    outcome="PASS",
    measured="0 found",
    detail="nothing found",
)
FAST = ClauseResult(
    clause_id="fast",
    kind="max_latency_ms",
    severity="should",
    weight=40,
    dimension="latency",
    outcome="FAIL",
    measured="1200",
    detail="1200 ms > limit 800 ms",
)


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 32)


def _spec_leaf(task_id: str, output_digest: str, clause_id: str, outcome: int, digest: bytes) -> bytes:
    """docs/evaluation.md, "Clause leaf", written out by hand: five head words, then the tails
    of the two strings (length word + UTF-8 bytes padded to 32)."""
    task, clause = task_id.encode(), clause_id.encode()
    task_tail = _word(len(task)) + _padded(task)
    head = _word(5 * 32) + bytes.fromhex(output_digest) + _word(5 * 32 + len(task_tail)) + _word(outcome) + digest
    return head + task_tail + _word(len(clause)) + _padded(clause)


def test_result_digest_is_sha256_of_the_canonical_clause_result():
    canonical = (
        b'{"clause_id":"no-pii","detail":"nothing found","dimension":"security","evaluated":true,'
        b'"kind":"no_pii","measured":"0 found","outcome":"PASS","severity":"must","weight":60}'
    )
    assert result_digest(NO_PII) == hashlib.sha256(canonical).digest()
    assert result_digest(NO_PII).hex() == "1f375d8a1c2a0495ed7009ee822ec4ed16612cfcb79a4ca8ec287c9faf59fe42"


def test_leaf_encoding_follows_the_documented_layout():
    assert leaf_encoding("tsk-1", OUTPUT_DIGEST, NO_PII) == _spec_leaf(
        "tsk-1", OUTPUT_DIGEST, "no-pii", 0, result_digest(NO_PII)
    )
    assert leaf_encoding("tsk-1", OUTPUT_DIGEST, FAST) == _spec_leaf(
        "tsk-1", OUTPUT_DIGEST, "fast", 1, result_digest(FAST)
    )


# Any text that encodes to UTF-8 (no lone surrogates), lengths across the 32-byte padding edges.
_TEXTS = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=80)


@settings(max_examples=300, deadline=None)
@given(
    task_id=_TEXTS,
    clause_id=_TEXTS,
    digest=st.binary(min_size=32, max_size=32),
    outcome=st.sampled_from(list(Outcome)),
    detail=_TEXTS,
)
def test_the_hand_laid_leaf_is_eth_abis_byte_for_byte(task_id, clause_id, digest, outcome, detail):
    result = FAST.model_copy(update={"clause_id": clause_id, "outcome": outcome, "detail": detail})
    assert leaf_encoding(task_id, digest.hex(), result) == eth_abi_leaf_encoding(task_id, digest.hex(), result)


@settings(max_examples=300, deadline=None)
@given(
    clause_id=_TEXTS,
    kind=_TEXTS,
    severity=st.sampled_from(["must", "should"]),
    weight=st.integers(0, 100),
    outcome=st.sampled_from(list(Outcome)),
    measured=st.one_of(st.none(), _TEXTS),
    detail=_TEXTS,
    evaluated=st.booleans(),
)
def test_the_hand_built_result_data_is_pydantics_dump(
    clause_id, kind, severity, weight, outcome, measured, detail, evaluated
):
    fields = {"kind": kind or "k", "severity": severity, "weight": weight, "outcome": outcome, "measured": measured}
    fields |= {"clause_id": clause_id or "c", "detail": detail, "evaluated": evaluated, "dimension": kind or "d"}
    result = FAST.model_copy(update=fields)
    assert result_data(result) == result.model_dump(mode="json")
    assert list(result_data(result)) == list(ClauseResult.model_fields)  # a new field must be added there too
    assert result_digest(result) == hashlib.sha256(canonical_json(result.model_dump(mode="json"))).digest()


@pytest.mark.parametrize("task_id", ["", "t" * 31, "t" * 32, "t" * 33, "t" * 64, "tâche-é-1"])
def test_the_hand_laid_leaf_at_the_padding_edges(task_id):
    assert leaf_encoding(task_id, OUTPUT_DIGEST, NO_PII) == eth_abi_leaf_encoding(task_id, OUTPUT_DIGEST, NO_PII)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600))
def test_the_c_keccak_is_eth_utils_keccak(data):
    assert evidence_tree.keccak(data) == keccak(data)


def test_an_output_digest_of_another_length_is_refused():
    with pytest.raises(ValueError, match="not 32 bytes"):
        leaf_encoding("tsk-1", "aa" * 31, NO_PII)


def test_fixed_vectors():
    assert leaf_hash("tsk-1", OUTPUT_DIGEST, NO_PII).hex() == (
        "d048903ee5cd6e2927b210032ad7c94043487e818261bbb6ab09437709af48db"
    )
    assert leaf_hash("tsk-1", OUTPUT_DIGEST, FAST).hex() == (
        "fb74a4105717fa681c4ed70587c806b3658eddf7ab3654d12389e4171d83169e"
    )
    assert evidence_root("tsk-1", OUTPUT_DIGEST, [NO_PII, FAST]) == (
        "0xecd1daef9c689838fd18434a518adfc6d5544a20ed176ac0831b42210c7ac120"
    )
    # Two leaves: the root is the sorted pair hashed.
    low, high = sorted([leaf_hash("tsk-1", OUTPUT_DIGEST, r) for r in (NO_PII, FAST)])
    assert evidence_root("tsk-1", OUTPUT_DIGEST, [FAST, NO_PII]) == "0x" + keccak(low + high).hex()


class _Leaf:
    """Duck-typed for libs/escrow's VerdictTree, which only asks a leaf for its hash."""

    def __init__(self, value: bytes) -> None:
        self.value = value

    def hash(self) -> bytes:
        return self.value


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_the_tree_is_libs_escrows_tree_and_every_clause_has_a_proof(count):
    results = [NO_PII.model_copy(update={"clause_id": f"c{i}", "weight": i}) for i in range(count)]
    leaves = [leaf_hash("tsk-9", OUTPUT_DIGEST, r) for r in results]
    tree = clause_tree("tsk-9", OUTPUT_DIGEST, results)
    assert tree.root == VerdictTree([_Leaf(leaf) for leaf in leaves]).root
    for leaf in leaves:
        assert verify_clause(tree.root, leaf, tree.proof(leaf))


def test_a_changed_clause_result_or_task_does_not_verify():
    tree = clause_tree("tsk-1", OUTPUT_DIGEST, [NO_PII, FAST])
    proof = tree.proof(leaf_hash("tsk-1", OUTPUT_DIGEST, FAST))
    passed_instead = FAST.model_copy(update={"outcome": Outcome.PASS})
    assert not verify_clause(tree.root, leaf_hash("tsk-1", OUTPUT_DIGEST, passed_instead), proof)
    assert not verify_clause(tree.root, leaf_hash("tsk-2", OUTPUT_DIGEST, FAST), proof)
    other_measure = FAST.model_copy(update={"measured": "700"})
    assert not verify_clause(tree.root, leaf_hash("tsk-1", OUTPUT_DIGEST, other_measure), proof)
