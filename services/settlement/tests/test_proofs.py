"""Proofs for auditors, against fixed vectors: how a verdict becomes a leaf (docs/settlement.md,
"From a verdict to a leaf"), recomputed here from the spec alone, and the proof path to the root."""

from __future__ import annotations

import hashlib

import pytest
from eth_abi import encode
from eth_utils import keccak

from pactline_settlement.proofs import ProofUnavailable, build_proof

POOL = bytes.fromhex("0e6dc30ecd8316d697d1accc4a4e90f8dd29eb4f13bb83ed54391ea1530c7e37")
PRICE = 50_000


def evidence(task: str) -> str:
    return "0x" + hashlib.sha256(f"evidence {task}".encode()).hexdigest()


LEAVES = [
    {
        "task_id": "tsk-0001",
        "outcome": "PASS",
        "released": PRICE,
        "refunded": 0,
        "evidence_digest": evidence("tsk-0001"),
    },
    {
        "task_id": "tsk-0002",
        "outcome": "FAIL",
        "released": 0,
        "refunded": PRICE,
        "evidence_digest": evidence("tsk-0002"),
    },
    {
        "task_id": "tsk-0003",
        "outcome": "INCONCLUSIVE",
        "released": 0,
        "refunded": PRICE,
        "evidence_digest": evidence("tsk-0003"),
    },
]
ROOT = bytes.fromhex("d2ea77f306386fcd86c78051aa9079804515c90134b02162e40e7b189f88e132")


def leaf_from_spec(pool: bytes, batch_seq: int, leaf: dict) -> bytes:
    """docs/settlement.md: keccak256(keccak256(abi.encode(poolId, batchSeq, keccak256(utf8(taskId)),
    outcome code, released, refunded, evidenceDigest)))."""
    code = {"PASS": 0, "FAIL": 1, "INCONCLUSIVE": 2}[leaf["outcome"]]
    words = encode(
        ["bytes32", "uint256", "bytes32", "uint8", "uint256", "uint256", "bytes32"],
        [
            pool,
            batch_seq,
            keccak(leaf["task_id"].encode()),
            code,
            leaf["released"],
            leaf["refunded"],
            bytes.fromhex(leaf["evidence_digest"][2:]),
        ],
    )
    return keccak(keccak(words))


def test_the_proof_of_a_task_matches_the_pinned_vector_and_the_spec():
    proof = build_proof("tsk-0002", POOL, 3, LEAVES, ROOT)
    assert proof["leaf"]["task_key"] == "0x78fb2c5b05f6e5fe092aa85bf4576f895329531ce9380dc8be0d335ec960a5b0"
    assert proof["leaf_hash"] == "0x68b3a32e057f510c0b4b76684e51bcd717ad1166cc91ca0907290762ee0e9cd6"
    assert proof["proof"] == [
        "0x5959eeba97e76a3c9f79c76fed3e77312afddbee799edc36c00d53bc1c32a52a",
        "0x92a8f19d0de75345499cb19ddc1a08725d9a5e72990bf948a6f01c6c81ede761",
    ]
    node = leaf_from_spec(POOL, 3, LEAVES[1])
    assert "0x" + node.hex() == proof["leaf_hash"]
    for sibling in proof["proof"]:
        other = bytes.fromhex(sibling[2:])
        node = keccak(min(node, other) + max(node, other))
    assert node == ROOT


def test_every_leaf_of_the_batch_proves_into_the_root():
    for leaf in LEAVES:
        proof = build_proof(leaf["task_id"], POOL, 3, LEAVES, ROOT)
        node = bytes.fromhex(proof["leaf_hash"][2:])
        for sibling in proof["proof"]:
            other = bytes.fromhex(sibling[2:])
            node = keccak(min(node, other) + max(node, other))
        assert node == ROOT


def test_a_leaf_binds_its_pool_and_batch():
    assert (
        build_proof("tsk-0001", POOL, 3, LEAVES, ROOT)["leaf_hash"] != "0x" + leaf_from_spec(POOL, 4, LEAVES[0]).hex()
    )


@pytest.mark.parametrize(
    ("task", "leaves", "why"),
    [
        ("tsk-0009", LEAVES, "not among the leaves"),
        ("tsk-0001", [{**LEAVES[0], "released": PRICE - 1, "refunded": 1}, *LEAVES[1:]], "do not rebuild its root"),
        ("tsk-0001", LEAVES[:2], "do not rebuild its root"),
    ],
)
def test_no_proof_is_made_from_leaves_that_are_not_the_batchs(task, leaves, why):
    with pytest.raises(ProofUnavailable, match=why):
        build_proof(task, POOL, 3, leaves, ROOT)
