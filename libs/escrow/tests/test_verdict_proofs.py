"""Verdict Merkle trees: Python builds them, the contract checks them."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from pactline_escrow import VerdictBatch, VerdictLeaf, VerdictOutcome, VerdictTree
from pactline_escrow.merkle import hash_pair, verify_proof

HOUR = 3600


def leaf(i: int, released: int = 10, refunded: int = 0) -> VerdictLeaf:
    return VerdictLeaf(
        task_id=keccak(text=f"task-{i}"),
        outcome=VerdictOutcome.PASS if released else VerdictOutcome.FAIL,
        released=released,
        refunded=refunded,
        evidence_digest=keccak(text=f"evidence-{i}"),
    )


def test_single_leaf_tree_root_is_the_leaf():
    only = leaf(0)
    tree = VerdictTree([only])
    assert tree.root == only.hash()
    assert tree.proof(only) == []


def test_two_leaf_root_hashes_the_sorted_pair():
    a, b = leaf(0), leaf(1)
    low, high = sorted([a.hash(), b.hash()])
    assert VerdictTree([b, a]).root == keccak(low + high)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 33])
def test_every_leaf_proves_into_the_root(size):
    leaves = [leaf(i) for i in range(size)]
    tree = VerdictTree(leaves)
    for item in leaves:
        assert verify_proof(tree.root, item.hash(), tree.proof(item))


def test_root_does_not_depend_on_input_order():
    leaves = [leaf(i) for i in range(6)]
    assert VerdictTree(leaves).root == VerdictTree(list(reversed(leaves))).root


def test_leaf_is_double_hashed_abi_encoding():
    item = leaf(3, released=7, refunded=2)
    encoded = (
        item.task_id
        + int(item.outcome).to_bytes(32, "big")
        + (7).to_bytes(32, "big")
        + (2).to_bytes(32, "big")
        + item.evidence_digest
    )
    assert item.hash() == keccak(keccak(encoded))


def test_tampered_amount_does_not_verify():
    leaves = [leaf(i) for i in range(5)]
    tree = VerdictTree(leaves)
    forged = leaves[2].model_copy(update={"released": 10_000})
    assert not verify_proof(tree.root, forged.hash(), tree.proof(leaves[2]))


def test_batch_nets_amounts_and_refuses_a_task_twice():
    batch = VerdictBatch([leaf(0, 5, 0), leaf(1, 0, 3), leaf(2, 4, 1)])
    assert (batch.released, batch.refunded) == (9, 4)
    with pytest.raises(ValueError, match="at most once"):
        VerdictBatch([leaf(0, 5, 0), leaf(0, 0, 5)])


def test_hash_pair_is_commutative():
    a, b = keccak(b"a"), keccak(b"b")
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(min(a, b) + max(a, b))


async def test_contract_computes_the_same_leaf(chain):
    for item in (leaf(0), leaf(1, 0, 9), leaf(2, 2**96, 1)):
        assert await chain.reader.verdict_leaf(item) == item.hash()


async def test_contract_accepts_python_proofs_and_refuses_tampered_ones(chain):
    leaves = [leaf(i) for i in range(11)]
    batch = VerdictBatch(leaves)
    opened = await chain.buyer.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        await chain.now() + HOUR,
        b"\x01" * 32,
        b"\x02" * 32,
        1_000_000,
    )
    await chain.evaluator.settle_batch(opened.pool_id, 1, batch)

    for item in leaves:
        proof = batch.tree.proof(item)
        assert await chain.reader.verify_verdict(opened.pool_id, 1, item.hash(), proof)

    target = leaves[4]
    proof = batch.tree.proof(target)
    forged = target.model_copy(update={"released": target.released + 1})
    bad_proof = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
    verify = chain.reader.verify_verdict
    assert not await verify(opened.pool_id, 1, forged.hash(), proof)
    assert not await verify(opened.pool_id, 1, target.hash(), bad_proof)
    assert not await verify(opened.pool_id, 2, target.hash(), proof)  # batch never settled
    assert not await verify(opened.pool_id, 1, target.hash(), proof[:-1])


# Known answer from OpenZeppelin's own JS library (@openzeppelin/merkle-tree 1.x):
# StandardMerkleTree.of(values, ["bytes32", "uint8", "uint256", "uint256", "bytes32"]).
OZ_ROOT = "5f2606eb31da077e05002422475f5ae167f59291842eaa6a56424ed2cfac432e"
OZ_PROOF_OF_VALUE_2 = [
    "0ec2551324402b92d5cd9164d94f538bfab7b29d52598b793d63b6799362c52f",
    "f355169de955b2108ff0b17cbc1c03453467768178e97f15776ec72a404e5ee4",
    "a9337b092200b9e3bc96e79aaa923d90a98787becea528c496884c7f94724440",
]


def test_tree_matches_openzeppelin_standard_merkle_tree():
    leaves = [
        VerdictLeaf(
            task_id=(1000 + i).to_bytes(32, "big"),
            outcome=VerdictOutcome(i % 3),
            released=i * 7,
            refunded=i * 3,
            evidence_digest=(0xABC + i).to_bytes(32, "big"),
        )
        for i in range(5)
    ]
    tree = VerdictTree(leaves)
    assert tree.root.hex() == OZ_ROOT
    assert [p.hex() for p in tree.proof(leaves[2])] == OZ_PROOF_OF_VALUE_2
