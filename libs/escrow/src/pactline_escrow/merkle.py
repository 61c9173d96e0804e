"""Verdict leaves, Merkle trees and the batch chain, built exactly as AggregateEscrow checks them.

Same tree as OpenZeppelin's StandardMerkleTree (@openzeppelin/merkle-tree): a leaf is
`keccak256(keccak256(abi.encode(poolId, batchSeq, taskId, outcome, released, refunded,
evidenceDigest)))`, leaves are sorted by hash and laid out as a complete binary tree in an
array, parents hash the sorted pair. docs/escrow.md gives the byte layout and test vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from eth_abi import encode
from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pactline_escrow.models import BatchRecord

LEAF_TYPES = ["bytes32", "uint256", "bytes32", "uint8", "uint256", "uint256", "bytes32"]
LINK_TYPES = ["bytes32", "uint256", "uint256", "uint256", "uint256", "bytes32"]


class VerdictOutcome(IntEnum):
    PASS = 0
    FAIL = 1
    INCONCLUSIVE = 2


def _bytes32(value: bytes) -> bytes:
    if len(value) != 32:
        raise ValueError(f"expected 32 bytes, got {len(value)}")
    return value


class VerdictLeaf(BaseModel):
    """One task's verdict as a batch commits to it; amounts in token minor units.

    The leaf binds the pool and the batch, so a proof for one batch never verifies in another.
    """

    model_config = ConfigDict(frozen=True)

    pool_id: bytes
    batch_seq: int = Field(ge=1, lt=2**32)
    task_id: bytes
    outcome: VerdictOutcome
    released: int = Field(ge=0, lt=2**256)
    refunded: int = Field(ge=0, lt=2**256)
    evidence_digest: bytes

    @field_validator("pool_id", "task_id", "evidence_digest")
    @classmethod
    def _is_bytes32(cls, value: bytes) -> bytes:
        return _bytes32(value)

    def encoded(self) -> bytes:
        """`abi.encode` of the seven fields: seven 32-byte words, 224 bytes."""
        return encode(
            LEAF_TYPES,
            [
                self.pool_id,
                self.batch_seq,
                self.task_id,
                int(self.outcome),
                self.released,
                self.refunded,
                self.evidence_digest,
            ],
        )

    def hash(self) -> bytes:
        return keccak(keccak(self.encoded()))

    def verdict_tuple(self) -> tuple[bytes, int, int, int, bytes]:
        """The contract's `Verdict` struct (the fields besides pool and batch)."""
        return (self.task_id, int(self.outcome), self.released, self.refunded, self.evidence_digest)


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    node = leaf_hash
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify_proof(root: bytes, leaf_hash: bytes, proof: Sequence[bytes]) -> bool:
    return process_proof(leaf_hash, proof) == root


def batch_link(previous_chain: bytes, batch_seq: int, record: BatchRecord) -> bytes:
    """`keccak256(abi.encode(previousChain, batchSeq, taskCount, released, refunded, verdictRoot))`;
    the chain starts at the pool id (chain_0 = poolId)."""
    return keccak(
        encode(
            LINK_TYPES,
            [
                _bytes32(previous_chain),
                batch_seq,
                record.task_count,
                record.released,
                record.refunded,
                _bytes32(record.verdict_root),
            ],
        )
    )


class VerdictTree:
    """A complete binary tree over sorted leaf hashes (index 0 is the root)."""

    def __init__(self, leaves: Sequence[VerdictLeaf]) -> None:
        if not leaves:
            raise ValueError("a verdict tree needs at least one leaf")
        hashes = sorted(leaf.hash() for leaf in leaves)
        if len(set(hashes)) != len(hashes):
            raise ValueError("duplicate verdict leaf in one tree")
        size = 2 * len(hashes) - 1
        nodes: list[bytes] = [b""] * size
        for i, leaf_hash in enumerate(hashes):
            nodes[size - 1 - i] = leaf_hash
        for i in range(size - 1 - len(hashes), -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        self._nodes = nodes
        self._index = {leaf_hash: size - 1 - i for i, leaf_hash in enumerate(hashes)}

    @property
    def root(self) -> bytes:
        return self._nodes[0]

    def proof(self, leaf: VerdictLeaf) -> list[bytes]:
        index = self._index[leaf.hash()]
        proof: list[bytes] = []
        while index > 0:
            sibling = index + 1 if index % 2 == 1 else index - 1
            proof.append(self._nodes[sibling])
            index = (index - 1) // 2
        return proof


class InvalidBatch(ValueError):
    """A batch the contract would refuse, or that would not prove what it claims."""


class VerdictBatch:
    """One settlement batch of a pool: every task it settles moves exactly one price, split
    between provider and buyer. Tasks still held (INCONCLUSIVE inside the dispute window) stay
    out of batches until they are decided; a task may appear in one batch only."""

    def __init__(self, pool_id: bytes, batch_seq: int, price_per_task: int, leaves: Sequence[VerdictLeaf]) -> None:
        if not leaves:
            raise InvalidBatch("a batch settles at least one task")
        task_ids = [leaf.task_id for leaf in leaves]
        if len(set(task_ids)) != len(task_ids):
            raise InvalidBatch("a task may appear at most once in a batch")
        for leaf in leaves:
            if (leaf.pool_id, leaf.batch_seq) != (pool_id, batch_seq):
                raise InvalidBatch(f"task 0x{leaf.task_id.hex()} is bound to another pool or batch")
            if leaf.released + leaf.refunded != price_per_task:
                raise InvalidBatch(
                    f"task 0x{leaf.task_id.hex()} moves {leaf.released + leaf.refunded}, "
                    f"not the price per task {price_per_task}"
                )
        self.pool_id = pool_id
        self.batch_seq = batch_seq
        self.price_per_task = price_per_task
        self.leaves = tuple(leaves)
        self.tree = VerdictTree(leaves)
        self.released = sum(leaf.released for leaf in leaves)
        self.refunded = sum(leaf.refunded for leaf in leaves)

    @property
    def task_count(self) -> int:
        return len(self.leaves)

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def record(self) -> BatchRecord:
        return BatchRecord(
            task_count=self.task_count, released=self.released, refunded=self.refunded, verdict_root=self.root
        )

    def proof(self, leaf: VerdictLeaf) -> list[bytes]:
        return self.tree.proof(leaf)

    def chain_after(self, previous_chain: bytes) -> bytes:
        return batch_link(previous_chain, self.batch_seq, self.record)
