"""Proofs for auditors: a settled task's leaf, its Merkle path and the batch that anchors it,
rebuilt from the batch's leaves as the log recorded them (EscrowSettled)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .batching import OUTCOME_CODES, BatchLeaf
from .escrow_calls import id32, verdict_batch, verdict_leaf


class ProofUnavailable(LookupError):
    def __init__(self, task_id: str, why: str) -> None:
        super().__init__(f"no proof for task {task_id}: {why}")
        self.task_id = task_id
        self.why = why


def leaf_from_json(data: dict[str, Any]) -> BatchLeaf:
    return BatchLeaf(
        task_id=data["task_id"],
        outcome=data["outcome"],
        released=int(data["released"]),
        refunded=int(data["refunded"]),
        evidence_digest=bytes.fromhex(str(data["evidence_digest"]).removeprefix("0x")),
    )


def build_proof(
    task_id: str, pool_id: bytes, batch_seq: int, leaves: Sequence[dict[str, Any]], verdict_root: bytes
) -> dict[str, Any]:
    """The proof document for ``task_id`` in that batch; the rebuilt root must equal the one the
    batch anchored, or the leaves on record are not the batch's (ProofUnavailable)."""
    batch_leaves = [leaf_from_json(leaf) for leaf in leaves]
    mine = next((leaf for leaf in batch_leaves if leaf.task_id == task_id), None)
    if mine is None:
        raise ProofUnavailable(task_id, f"not among the leaves of batch {batch_seq}")
    price = mine.released + mine.refunded
    batch = verdict_batch(pool_id, batch_seq, price, batch_leaves)
    if batch.root != verdict_root:
        raise ProofUnavailable(task_id, f"the recorded leaves of batch {batch_seq} do not rebuild its root")
    leaf = verdict_leaf(pool_id, batch_seq, mine)
    return {
        "task_id": task_id,
        "pool_id": "0x" + pool_id.hex(),
        "batch_seq": batch_seq,
        "verdict_root": "0x" + verdict_root.hex(),
        "leaf": {
            "pool_id": "0x" + pool_id.hex(),
            "batch_seq": batch_seq,
            "task_id": mine.task_id,
            "task_key": "0x" + id32(mine.task_id).hex(),
            "outcome": mine.outcome,
            "outcome_code": OUTCOME_CODES[mine.outcome],
            "released": mine.released,
            "refunded": mine.refunded,
            "evidence_digest": "0x" + mine.evidence_digest.hex(),
        },
        "leaf_hash": "0x" + leaf.hash().hex(),
        "proof": ["0x" + node.hex() for node in batch.proof(leaf)],
    }
