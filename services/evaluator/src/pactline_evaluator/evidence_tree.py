"""The evidence digest: the Merkle root of a verdict's clause results (docs/evaluation.md,
"Evidence digest").

Built exactly like OpenZeppelin's StandardMerkleTree and libs/escrow's verdict tree: each leaf
is ``keccak256(keccak256(abi.encode(...)))``, leaves are sorted by hash into a complete binary
tree kept in an array, and a parent hashes its two children in sorted order. A clause leaf is
``abi.encode(string taskId, bytes32 outputDigest, string clauseId, uint8 outcome, bytes32
resultDigest)``, where resultDigest is the SHA-256 of the clause result's canonical JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
import sha3
from eth_abi import encode

from pactline_events import ClauseResult, Outcome, canonical_json

LEAF_TYPES = ["string", "bytes32", "string", "uint8", "bytes32"]
OUTCOME_CODES = {Outcome.PASS: 0, Outcome.FAIL: 1, Outcome.INCONCLUSIVE: 2}  # as libs/escrow's VerdictOutcome


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 32)


HEAD_BYTES = 32 * len(LEAF_TYPES)
"""Five head words: the strings' tails start right after them."""
HEAD_SIZE = _word(HEAD_BYTES)


def result_data(result: ClauseResult) -> dict[str, Any]:
    """The clause result as JSON data, every field: ``result.model_dump(mode="json")``, built
    directly (a verdict needs six; the tests hold the two equal)."""
    return {
        "clause_id": result.clause_id,
        "kind": result.kind,
        "severity": result.severity,
        "weight": result.weight,
        "dimension": result.dimension,
        "outcome": result.outcome.value,
        "measured": result.measured,
        "detail": result.detail,
        "evaluated": result.evaluated,
    }


def result_digest(result: ClauseResult) -> bytes:
    """SHA-256 of the clause result's canonical JSON (RFC 8785), every field included.

    The data is flat, with ASCII keys, strings, booleans, null and a weight of 0 to 100: the
    case where orjson's sorted output is the canonical form (``pactline_events.canonical``),
    so it is written by orjson directly; a string orjson refuses takes ``canonical_json``."""
    data = result_data(result)
    try:
        text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        text = canonical_json(data)
    return hashlib.sha256(text).digest()


def leaf_encoding(task_id: str, output_digest: str, result: ClauseResult) -> bytes:
    """``abi.encode`` of the leaf's five values, laid out by hand: eth_abi's generic encoder
    was a third of a verdict's cost. ``eth_abi_leaf_encoding`` is the reference, and the tests
    hold the two byte-identical."""
    digest = bytes.fromhex(output_digest)
    if len(digest) != 32:
        raise ValueError(f"output digest of task {task_id!r} is not 32 bytes: {output_digest!r}")
    task, clause = task_id.encode(), result.clause_id.encode()
    task_tail = _word(len(task)) + _padded(task)
    return b"".join(
        (
            HEAD_SIZE,
            digest,
            _word(HEAD_BYTES + len(task_tail)),
            _word(OUTCOME_CODES[result.outcome]),
            result_digest(result),
            task_tail,
            _word(len(clause)),
            _padded(clause),
        )
    )


def eth_abi_leaf_encoding(task_id: str, output_digest: str, result: ClauseResult) -> bytes:
    return encode(
        LEAF_TYPES,
        [task_id, bytes.fromhex(output_digest), result.clause_id, OUTCOME_CODES[result.outcome], result_digest(result)],
    )


def keccak(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's, not SHA3-256) by safe-pysha3's C code: eth_utils' wrapper took
    half of a verdict's decision time. The tests hold it equal to eth_utils.keccak."""
    return sha3.keccak_256(data).digest()


def leaf_hash(task_id: str, output_digest: str, result: ClauseResult) -> bytes:
    return keccak(keccak(leaf_encoding(task_id, output_digest, result)))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


class ClauseTree:
    """The tree over one verdict's clause leaves; index 0 of the array is the root."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise ValueError("an evidence tree needs at least one clause result")
        hashes = sorted(leaves)
        if len(set(hashes)) != len(hashes):
            raise ValueError("two clause results have the same leaf")
        size = 2 * len(hashes) - 1
        nodes = [b""] * size
        for i, leaf in enumerate(hashes):
            nodes[size - 1 - i] = leaf
        for i in range(size - 1 - len(hashes), -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        self._nodes = nodes
        self._index = {leaf: size - 1 - i for i, leaf in enumerate(hashes)}

    @property
    def root(self) -> bytes:
        return self._nodes[0]

    def proof(self, leaf: bytes) -> list[bytes]:
        index = self._index[leaf]
        proof = []
        while index > 0:
            proof.append(self._nodes[index + 1 if index % 2 == 1 else index - 1])
            index = (index - 1) // 2
        return proof


def clause_tree(task_id: str, output_digest: str, results: Sequence[ClauseResult]) -> ClauseTree:
    return ClauseTree([leaf_hash(task_id, output_digest, r) for r in results])


def evidence_root(task_id: str, output_digest: str, results: Sequence[ClauseResult]) -> str:
    """The evidence digest as it travels in VerdictIssued: 0x + 64 hex digits."""
    return "0x" + clause_tree(task_id, output_digest, results).root.hex()


def verify_clause(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root
