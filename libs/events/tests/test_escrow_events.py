"""Escrow events: v1 payloads stored before v2 still read, and v2 refuses inconsistent facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pactline_events import EscrowFunded, EscrowSettled, SettledLeaf, decode
from pactline_events.upcasters import escrow_funded_v1_to_v2, escrow_settled_v1_to_v2

FIXTURES = Path(__file__).parent / "fixtures"
TX = "0x" + "ab" * 32
DIGEST = "0x" + "cd" * 32
POOL = "0x" + "aa" * 32


def test_stored_v1_funding_of_a_pool_reads_as_v2_with_its_pool_id():
    event = decode((FIXTURES / "escrow_funded_v1.json").read_bytes().strip())
    assert event.schema_version == 1
    assert isinstance(event.payload, EscrowFunded)
    assert event.payload.pool_id == POOL
    assert event.payload.job_id is None
    assert (event.payload.block_number, event.payload.log_index, event.payload.funder) == (None, None, None)


def test_stored_v1_settlement_reads_as_v2_with_its_cause():
    event = decode((FIXTURES / "escrow_settled_v1.json").read_bytes().strip())
    assert isinstance(event.payload, EscrowSettled)
    assert event.payload.cause == "completed"
    assert event.payload.released == 2_500_000
    assert event.payload.leaves == ()


@pytest.mark.parametrize(
    ("mode", "released", "cause"),
    [("per_task", 0, "rejected"), ("per_task", 1, "completed"), ("aggregate", 5, "batch")],
)
def test_settled_upcaster_derives_the_cause_and_is_pure(mode, released, cause):
    v1 = {"mode": mode, "released": released, "refunded": 1, "held": 0, "task_ids": ["t"]}
    before = dict(v1)
    assert escrow_settled_v1_to_v2(v1)["cause"] == cause
    assert "held" not in escrow_settled_v1_to_v2(v1)
    assert v1 == before


def test_funded_upcaster_keeps_a_job_id_as_it_was():
    lifted = escrow_funded_v1_to_v2({"mode": "per_task", "escrow_ref": "42"})
    assert lifted == {"mode": "per_task", "job_id": "42"}


def _batch(**overrides) -> dict:
    leaves = [
        SettledLeaf(task_id="t-1", outcome="PASS", released=5, refunded=0, evidence_digest=DIGEST),
        SettledLeaf(task_id="t-2", outcome="FAIL", released=0, refunded=5, evidence_digest=DIGEST),
    ]
    fields = dict(
        acceptance_id="acc-1",
        mode="aggregate",
        cause="batch",
        task_ids=("t-1", "t-2"),
        released=5,
        refunded=5,
        pool_id=POOL,
        batch_seq=1,
        verdict_root=DIGEST,
        leaves=tuple(leaves),
        chain_id=31337,
        tx_hash=TX,
        block_number=9,
        log_index=0,
    )
    return fields | overrides


def test_a_batch_whose_leaves_add_up_is_accepted():
    assert EscrowSettled(**_batch()).released == 5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"released": 6}, "released must equal"),
        ({"refunded": 4}, "refunded must equal"),
        ({"task_ids": ("t-2", "t-1")}, "same order"),
        ({"task_ids": ("t-1", "t-1"), "leaves": ()}, "at most once"),
        ({"mode": "per_task"}, "batches"),
        ({"pool_id": None, "job_id": "3"}, "pool_id"),
    ],
)
def test_an_inconsistent_settlement_is_refused_with_the_reason(overrides, message):
    with pytest.raises(ValidationError, match=message):
        EscrowSettled(**_batch(**overrides))


def test_a_per_task_funding_must_name_its_job():
    with pytest.raises(ValidationError, match="job_id"):
        EscrowFunded(
            acceptance_id="acc-1",
            mode="per_task",
            amount=1,
            chain_id=1,
            contract_address="0x" + "1" * 40,
            token_address="0x" + "2" * 40,
            pool_id=POOL,
            tx_hash=TX,
        )
