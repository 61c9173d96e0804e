"""A reorg that drops the service's transaction: it is noticed (the receipt is gone) and the
same signed bytes are sent again; nothing of the dropped block became an event (the watcher
reads only at the confirmation depth); there is one refund on chain and one in the ledger.
Once with anvil's snapshot/revert, once with its anvil_reorg RPC."""

from __future__ import annotations

import pytest
from eth_account import Account

from pactline_escrow import JobStatus
from pactline_service.runtime import running
from settlement_chain import PRICE, ledger_row, new_deal, service_settings, service_spec, settle_events, wait_until

pytestmark = pytest.mark.infra
CONFIRMATIONS = 3


@pytest.mark.parametrize("reorg", ["snapshot-revert", "anvil-reorg"])
async def test_a_reorg_that_drops_the_refund_gets_it_sent_again_and_paid_once(
    reorg, chain, publisher, kafka_topics, database_url, eth_rpc_url, db_schema, deployment_file, evaluator_key
):
    evaluator = Account.from_key(evaluator_key).address
    spec = await service_spec(kafka_topics, db_schema)  # its consumer group starts here
    deal = await new_deal(chain, publisher, evaluator, "per_task")
    await deal.accept()
    buyer_before = await chain.balance(deal.buyer.address)
    job = await deal.funded_job()
    task = deal.task_id()
    await deal.complete_task(task, job)
    await chain.mine(CONFIRMATIONS)  # the funding is confirmed

    settings = service_settings(
        database_url, kafka_topics, eth_rpc_url, deployment_file, evaluator_key, settlement_confirmations=CONFIRMATIONS
    )
    async with running(spec, settings) as service:

        async def funded():
            row = await ledger_row(service.pool, deal.acceptance_id)
            return row is not None and int(row["escrowed"]) == PRICE

        await wait_until(funded, what="the confirmed funding in the ledger")
        snapshot = await chain.rpc("evm_snapshot")
        fork_point = await chain.w3.eth.block_number
        await deal.judge(task, "FAIL", job)

        async def mined():
            row = await service.pool.fetchrow("SELECT * FROM transactions")
            return row if row is not None and row["status"] == "mined" else None

        first = await wait_until(mined, what="the refund mined, not yet confirmed")
        assert (await chain.reader.get_job(job)).status is JobStatus.REJECTED
        if reorg == "snapshot-revert":
            assert await chain.rpc("evm_revert", [snapshot])
        else:
            depth = await chain.w3.eth.block_number - fork_point
            await chain.rpc("anvil_reorg", [depth, []])
        assert (await chain.reader.get_job(job)).status is JobStatus.FUNDED  # the refund is gone

        async def sent_again():
            row = await service.pool.fetchrow("SELECT * FROM transactions")
            return row if row["reorgs"] == 1 and row["status"] == "mined" else None

        again = await wait_until(sent_again, what="the dropped refund noticed and sent again")
        assert bytes(again["tx_hash"]) == bytes(first["tx_hash"])  # the same signed bytes
        assert (await chain.reader.get_job(job)).status is JobStatus.REJECTED
        # Nothing of the dropped block became a fact: only the funding is in the log.
        assert [e.event_type for e in await settle_events(kafka_topics, deal.acceptance_id)] == ["EscrowFunded"]
        await chain.mine(CONFIRMATIONS)

        async def refunded():
            row = await ledger_row(service.pool, deal.acceptance_id)
            return row if row is not None and int(row["refunded"]) == PRICE else None

        await wait_until(refunded, what="the refund in the ledger")
        assert await service.pool.fetchval("SELECT status FROM transactions") == "confirmed"
        assert await service.pool.fetchval("SELECT count(*) FROM transactions") == 1

    assert await chain.balance(deal.buyer.address) == buyer_before
    settled = [
        e.payload for e in await settle_events(kafka_topics, deal.acceptance_id) if e.event_type == "EscrowSettled"
    ]
    assert [(s.cause, s.refunded) for s in settled] == [("rejected", PRICE)]
    assert settled[0].block_number == again["block_number"]
    assert settled[0].detail == "verdict FAIL"
