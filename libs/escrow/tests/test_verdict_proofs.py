"""Verdict leaves, trees and the batch chain: Python builds them, the contract checks them, fixed
vectors pin the byte format (docs/escrow.md), and every forged proof is refused."""

from __future__ import annotations

import hashlib

import pytest
from eth_utils import keccak

from pactline_escrow import (
    BatchRecord,
    InvalidBatch,
    VerdictBatch,
    VerdictLeaf,
    VerdictOutcome,
    VerdictTree,
    batch_link,
)
from pactline_escrow.artifacts import load_artifact
from pactline_escrow.ids import bytes32_from_identifier
from pactline_escrow.merkle import hash_pair, verify_proof

HOUR = 3600
PRICE = 50_000
POOL_A = b"\x11" * 32


def leaf(i: int, released: int = PRICE, refunded: int = 0, pool_id: bytes = POOL_A, seq: int = 1) -> VerdictLeaf:
    return VerdictLeaf(
        pool_id=pool_id,
        batch_seq=seq,
        task_id=keccak(text=f"task-{i}"),
        outcome=VerdictOutcome.PASS if released else VerdictOutcome.FAIL,
        released=released,
        refunded=refunded,
        evidence_digest=keccak(text=f"evidence-{i}"),
    )


# --- pure: tree shape -------------------------------------------------------------------------


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


def test_tampered_amount_does_not_verify():
    leaves = [leaf(i) for i in range(5)]
    tree = VerdictTree(leaves)
    forged = leaves[2].model_copy(update={"released": 10_000})
    assert not verify_proof(tree.root, forged.hash(), tree.proof(leaves[2]))


def test_hash_pair_is_commutative():
    a, b = keccak(b"a"), keccak(b"b")
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(min(a, b) + max(a, b))


# --- pure: the byte format, pinned -----------------------------------------------------------

# The worked example of docs/escrow.md ("Leaf format"): recomputed by hand below and, when the
# vector was made, independently in JavaScript with @openzeppelin/merkle-tree 1.0.8
# (StandardMerkleTree over the one leaf), @metamask/abi-utils and ethereum-cryptography.
DOC_BUYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DOC_ACCEPTANCE = "acc-0191e0a47a527c2e9b7e3c1f0a5d2e11"
DOC_ACCEPTANCE_BYTES32 = "c92ffd4d19edb6b2643d91a3d7803899c22d7c72e8fdf17def047249483d36bc"
DOC_POOL_ID = "0e6dc30ecd8316d697d1accc4a4e90f8dd29eb4f13bb83ed54391ea1530c7e37"
DOC_TASK = "tsk-0191e0a5000070008000000000000042"
DOC_TASK_BYTES32 = "83cfe57d3572665042c291c01695a8f8d4ba71328bfb46c3011954d600893e32"
DOC_EVIDENCE = "b53f43175b44a8f7f0de25b4a28fe4f919c0541f56d28224fe0d5d025cfc58af"  # sha256("pactline evidence")
DOC_WORDS = [
    DOC_POOL_ID,
    "0000000000000000000000000000000000000000000000000000000000000003",
    DOC_TASK_BYTES32,
    "0000000000000000000000000000000000000000000000000000000000000001",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000000000000000000000000000000000000000c350",
    DOC_EVIDENCE,
]
DOC_INNER = "76a04e1dc47979b7ed2efc7be5d2cacf1ba23fe5db7e3bc7d9dbe7518f0f392c"
DOC_LEAF = "4fb9b705115a388cbdbeea354545fe1e931da0662811ced7736f7eb0147c66b7"
DOC_LINK = "c4e37016ae33366fcaf4cedb619a2597a8753088a025c1505eda32ceadc5c3f3"


def doc_leaf() -> VerdictLeaf:
    return VerdictLeaf(
        pool_id=bytes.fromhex(DOC_POOL_ID),
        batch_seq=3,
        task_id=bytes32_from_identifier(DOC_TASK),
        outcome=VerdictOutcome.FAIL,
        released=0,
        refunded=50_000,
        evidence_digest=hashlib.sha256(b"pactline evidence").digest(),
    )


def doc_record() -> BatchRecord:
    return BatchRecord(task_count=2, released=50_000, refunded=50_000, verdict_root=b"\x22" * 32)


def test_doc_vector_identifiers_and_pool_id():
    acceptance = bytes32_from_identifier(DOC_ACCEPTANCE)
    assert acceptance.hex() == DOC_ACCEPTANCE_BYTES32 == keccak(DOC_ACCEPTANCE.encode()).hex()
    assert bytes32_from_identifier(DOC_TASK).hex() == DOC_TASK_BYTES32
    assert hashlib.sha256(b"pactline evidence").hexdigest() == DOC_EVIDENCE
    # abi.encode(address, bytes32): the address left-padded to a word, then the 32 bytes
    encoded = bytes(12) + bytes.fromhex(DOC_BUYER[2:]) + acceptance
    assert keccak(encoded).hex() == DOC_POOL_ID


def test_doc_vector_leaf_encoding_word_by_word():
    item = doc_leaf()
    encoded = item.encoded()
    assert len(encoded) == 7 * 32
    assert [encoded[i : i + 32].hex() for i in range(0, 224, 32)] == DOC_WORDS
    assert keccak(encoded).hex() == DOC_INNER
    assert keccak(keccak(encoded)).hex() == item.hash().hex() == DOC_LEAF


def test_doc_vector_batch_link():
    assert batch_link(bytes.fromhex(DOC_POOL_ID), 1, doc_record()).hex() == DOC_LINK
    words = bytes.fromhex(DOC_POOL_ID) + b"".join(n.to_bytes(32, "big") for n in (1, 2, 50_000, 50_000)) + b"\x22" * 32
    assert keccak(words).hex() == DOC_LINK


# Known answer from OpenZeppelin's own JS library (@openzeppelin/merkle-tree 1.0.8):
# StandardMerkleTree.of(values, ["bytes32","uint256","bytes32","uint8","uint256","uint256","bytes32"]).
OZ_ROOT = "adea11ec867abb5b52daff41ba3901a3726d4fe399f75db563c1a311ff4c7a7e"
OZ_PROOF_OF_VALUE_2 = [
    "5b20822fdcf950cd87b2e02b5ef1881666318c2846cdd291b28636e9a5a58be7",
    "b91eda400b875248e450a087f9db89d178556fb427cbdfca47c400909f1352c9",
]
OZ_LEAF_2 = "d77e008e80e864d550f3b8d591a0b2c00f605e9d1afab09c0bc0e7f1ff006297"


def test_tree_matches_openzeppelin_standard_merkle_tree():
    leaves = [
        VerdictLeaf(
            pool_id=POOL_A,
            batch_seq=3,
            task_id=(1000 + i).to_bytes(32, "big"),
            outcome=VerdictOutcome(i % 3),
            released=i * 7,
            refunded=i * 3,
            evidence_digest=(0xABC + i).to_bytes(32, "big"),
        )
        for i in range(5)
    ]
    tree = VerdictTree(leaves)
    assert leaves[2].hash().hex() == OZ_LEAF_2
    assert tree.root.hex() == OZ_ROOT
    assert [p.hex() for p in tree.proof(leaves[2])] == OZ_PROOF_OF_VALUE_2


# --- pure: batches -----------------------------------------------------------------------------


def test_batch_nets_amounts_and_counts_tasks():
    batch = VerdictBatch(POOL_A, 1, PRICE, [leaf(0, PRICE, 0), leaf(1, 0, PRICE), leaf(2, PRICE - 1, 1)])
    assert (batch.task_count, batch.released, batch.refunded) == (3, 2 * PRICE - 1, PRICE + 1)
    assert batch.record == BatchRecord(
        task_count=3, released=2 * PRICE - 1, refunded=PRICE + 1, verdict_root=batch.root
    )


@pytest.mark.parametrize(
    ("leaves", "message"),
    [
        ([], "at least one task"),
        ([leaf(0), leaf(0, 0, PRICE)], "at most once"),
        ([leaf(0, PRICE, 1)], "not the price per task"),
        ([leaf(0, 0, 0)], "not the price per task"),  # a held verdict is not settled
        ([leaf(0, pool_id=b"\x22" * 32)], "another pool or batch"),
        ([leaf(0, seq=2)], "another pool or batch"),
    ],
)
def test_batch_refuses_what_the_contract_or_a_proof_would_not_stand_behind(leaves, message):
    with pytest.raises(InvalidBatch, match=message):
        VerdictBatch(POOL_A, 1, PRICE, leaves)


# --- on chain ----------------------------------------------------------------------------------


async def test_contract_computes_the_same_leaf_and_link(chain):
    for item in (doc_leaf(), leaf(0), leaf(1, 0, 9), leaf(2, 2**96, 1, seq=2**32 - 1)):
        assert await chain.reader.verdict_leaf(item) == item.hash()
    assert (await chain.reader.verdict_leaf(doc_leaf())).hex() == DOC_LEAF
    assert (await chain.reader.batch_link(bytes.fromhex(DOC_POOL_ID), 1, doc_record())).hex() == DOC_LINK


async def settled_pool(chain, sizes: list[int]) -> tuple[bytes, list[VerdictBatch]]:
    """A pool with one batch per size, every task at PRICE (one in three refunded)."""
    opened = await chain.buyer.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        await chain.now() + HOUR,
        b"\x01" * 32,
        b"\x02" * 32,
        sum(sizes) * PRICE,
        PRICE,
    )
    pool_id = opened.pool_id
    batches = []
    for seq, size in enumerate(sizes, start=1):
        leaves = [
            leaf(seq * 100 + i, *((0, PRICE) if i % 3 == 2 else (PRICE, 0)), pool_id=pool_id, seq=seq)
            for i in range(size)
        ]
        batch = VerdictBatch(pool_id, seq, PRICE, leaves)
        await chain.evaluator.settle_batch(batch)
        batches.append(batch)
    return pool_id, batches


async def test_every_verdict_of_every_batch_verifies_through_the_chain(chain):
    pool_id, batches = await settled_pool(chain, [11, 1, 4])
    history = await chain.reader.settled_batches(pool_id)
    assert [b.batch_seq for b in history] == [1, 2, 3]
    assert [b.record for b in history] == [b.record for b in batches]
    assert history[-1].chain == (await chain.reader.get_pool(pool_id)).batch_chain
    for batch in batches:
        for item in batch.leaves:
            assert await chain.reader.verify_verdict(item, batch.proof(item), history)
    # without a history the reader fetches it from the chain's events
    first = batches[0].leaves[3]
    assert await chain.reader.verify_verdict(first, batches[0].proof(first))


async def test_forged_proofs_are_refused(chain):
    pool_id, batches = await settled_pool(chain, [11, 5])
    history = await chain.reader.settled_batches(pool_id)
    batch = batches[0]
    target = batch.leaves[4]
    proof = batch.proof(target)
    records = [b.record for b in batches]
    verify = chain.reader.verify_verdict_raw

    async def check(*, leaf_=target, seq=1, proof_=proof, previous=pool_id, records_=records) -> bool:
        return await verify(pool_id, seq, leaf_.verdict_tuple(), proof_, previous, records_)

    assert await check()  # the honest proof, for contrast
    assert not await check(leaf_=target.model_copy(update={"released": 0, "refunded": PRICE}))  # outcome swapped
    assert not await check(leaf_=target.model_copy(update={"evidence_digest": b"\x00" * 32}))
    assert not await check(proof_=[proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]])  # flipped byte
    assert not await check(proof_=proof[:-1])  # stops at an inner node
    assert not await check(proof_=[*proof, proof[-1]])  # one level too many
    assert not await check(proof_=[])  # empty proof on an 11-task batch
    assert not await check(seq=2, records_=records[1:])  # the same verdict claimed for batch 2
    assert not await check(previous=b"\x00" * 32)  # wrong start of the chain
    assert not await check(records_=[records[0]])  # later batches left out
    forged_record = records[0].model_copy(update={"released": records[0].released + PRICE})
    assert not await check(records_=[forged_record, records[1]])  # a batch record rewritten
    assert not await check(seq=3, records_=[])  # a batch that was never settled
    assert not await check(seq=2**256 - 1, records_=records)  # nonsense never reverts
    # the same verdict fields under another pool's id
    other_pool = target.model_copy(update={"pool_id": b"\x33" * 32})
    assert not await verify(b"\x33" * 32, 1, other_pool.verdict_tuple(), proof, b"\x33" * 32, records)
    assert not await chain.reader.verify_verdict(target.model_copy(update={"batch_seq": 2}), proof, history)


async def test_inner_node_cannot_pose_as_a_verdict(chain):
    """The old interface took a leaf hash, so an inner node (or the root with an empty proof)
    verified. Now the contract computes the leaf from the verdict's fields: there is no hash
    input to abuse, and a proof that ends early is refused."""
    abi = load_artifact("AggregateEscrow").abi
    (verify,) = [e for e in abi if e.get("name") == "verifyVerdict"]
    verdict_input = verify["inputs"][2]
    assert verdict_input["type"] == "tuple"
    assert [c["name"] for c in verdict_input["components"]] == [
        "taskId",
        "outcome",
        "released",
        "refunded",
        "evidenceDigest",
    ]
    pool_id, batches = await settled_pool(chain, [4])
    batch = batches[0]
    a, b = batch.leaves[0], batch.leaves[1]
    history = await chain.reader.settled_batches(pool_id)
    # a proof from a's parent (skipping the leaf level) does not verify a
    assert not await chain.reader.verify_verdict(a, batch.proof(a)[1:], history)
    assert not await chain.reader.verify_verdict(b, [], history)


async def test_one_task_batch_verifies_with_the_empty_proof_only(chain):
    pool_id, batches = await settled_pool(chain, [1])
    (only,) = batches[0].leaves
    history = await chain.reader.settled_batches(pool_id)
    assert await chain.reader.verify_verdict(only, [], history)
    assert not await chain.reader.verify_verdict(only, [b"\x00" * 32], history)
