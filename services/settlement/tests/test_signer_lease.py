"""Exactly one active signer across replicas: a Postgres advisory lock held on a dedicated
connection. The others stand by, take over when the holder stops or loses its session, and the
journal never sees two writers (one nonce each, in order, nothing paid twice)."""

from __future__ import annotations

import contextlib

import pytest
from eth_account import Account

from pactline_service.runtime import running
from settlement_chain import PRICE, ledger_row, new_deal, service_settings, service_spec, signer_of, wait_until

pytestmark = pytest.mark.infra


async def refund_one(deal, service) -> None:
    job = await deal.funded_job()
    task = deal.task_id()
    await deal.complete_task(task, job)
    await deal.judge(task, "FAIL", job)
    refunded_before = int((await ledger_row(service.pool, deal.acceptance_id) or {"refunded": 0})["refunded"])

    async def refunded():
        row = await ledger_row(service.pool, deal.acceptance_id)
        return row is not None and int(row["refunded"]) == refunded_before + PRICE

    await wait_until(refunded, what="the refund")


async def test_one_replica_signs_the_other_stands_by_and_takes_over(
    chain, publisher, kafka_topics, database_url, eth_rpc_url, db_schema, deployment_file, evaluator_key
):
    spec = await service_spec(kafka_topics, db_schema)
    settings = service_settings(database_url, kafka_topics, eth_rpc_url, deployment_file, evaluator_key)
    deal = await new_deal(chain, publisher, Account.from_key(evaluator_key).address, "per_task")
    stacks = [contextlib.AsyncExitStack(), contextlib.AsyncExitStack()]
    replicas = [await stacks[0].enter_async_context(running(spec, settings))]
    replicas.append(await stacks[1].enter_async_context(running(spec, settings)))
    try:
        workers = [await signer_of(r) for r in replicas]

        async def one_active():
            active = [w for w in workers if w.active and w.reconciled]
            return active[0] if len(active) == 1 else None

        holder = await wait_until(one_active, what="one replica holding the lease")
        standby = next(w for w in workers if w is not holder)
        passes = holder.passes
        await wait_until(lambda: _reached(holder, passes + 5), what="the holder working")
        assert not standby.active
        assert standby.passes == 0

        await deal.accept()
        await refund_one(deal, replicas[0])
        assert standby.passes == 0  # the standby never touched the chain

        # The holder goes away: the standby takes the lease, reconciles, and signs from there.
        index = workers.index(holder)
        await stacks[index].aclose()
        await wait_until(lambda: _active(standby), what="the standby taking over")
        await refund_one(deal, replicas[1 - index])

        # The new holder's session is cut (a network partition, a database failover): it
        # notices before its next write and stands by; with nobody else left it takes the lease
        # again on a fresh connection.
        await replicas[1 - index].pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 "
            "AND ((classid::bigint << 32) | objid::bigint) = $1",
            standby.lease.key,
        )
        await wait_until(lambda: _lost_then_taken(standby), what="the lease lost, then taken again")
        await refund_one(deal, replicas[1 - index])

        rows = await replicas[1 - index].pool.fetch("SELECT nonce, status FROM transactions ORDER BY tx_id")
        assert [r["nonce"] for r in rows] == [0, 1, 2]
        assert {r["status"] for r in rows} <= {"mined", "confirmed"}
    finally:
        for stack in stacks:
            await stack.aclose()


async def _reached(worker, passes: int) -> bool:
    return worker.passes >= passes


async def _active(worker) -> bool:
    return worker.active and worker.reconciled


async def _lost_then_taken(worker) -> bool:
    return worker.leases_lost == 1 and worker.active and worker.reconciled
