"""Verdict Merkle trees, built exactly as AggregateEscrow.verifyVerdict checks them.

Same construction as OpenZeppelin's StandardMerkleTree (@openzeppelin/merkle-tree): leaves are
`keccak256(keccak256(abi.encode(taskId, outcome, released, refunded, evidenceDigest)))`, sorted
by hash, laid out as a complete binary tree in an array, parents hash the sorted pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from eth_abi import encode
from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field, field_validator

LEAF_TYPES = ["bytes32", "uint8", "uint256", "uint256", "bytes32"]


class VerdictOutcome(IntEnum):
    PASS = 0
    FAIL = 1
    INCONCLUSIVE = 2


class VerdictLeaf(BaseModel):
    """One task's verdict as a batch commits to it; amounts in token minor units."""

    model_config = ConfigDict(frozen=True)

    task_id: bytes
    outcome: VerdictOutcome
    released: int = Field(ge=0)
    refunded: int = Field(ge=0)
    evidence_digest: bytes

    @field_validator("task_id", "evidence_digest")
    @classmethod
    def _is_bytes32(cls, value: bytes) -> bytes:
        if len(value) != 32:
            raise ValueError(f"expected 32 bytes, got {len(value)}")
        return value

    def hash(self) -> bytes:
        inner = keccak(
            encode(
                LEAF_TYPES,
                [
                    self.task_id,
                    int(self.outcome),
                    self.released,
                    self.refunded,
                    self.evidence_digest,
                ],
            )
        )
        return keccak(inner)


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    node = leaf_hash
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify_proof(root: bytes, leaf_hash: bytes, proof: Sequence[bytes]) -> bool:
    return process_proof(leaf_hash, proof) == root


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


class VerdictBatch:
    """One settlement batch: its verdicts, their netted amounts and their tree."""

    def __init__(self, leaves: Sequence[VerdictLeaf]) -> None:
        task_ids = [leaf.task_id for leaf in leaves]
        if len(set(task_ids)) != len(task_ids):
            raise ValueError("a task may appear at most once in a batch")
        self.leaves = tuple(leaves)
        self.tree = VerdictTree(leaves)
        self.released = sum(leaf.released for leaf in leaves)
        self.refunded = sum(leaf.refunded for leaf in leaves)

    @property
    def root(self) -> bytes:
        return self.tree.root
