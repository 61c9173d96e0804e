"""End to end against the real Kafka, Postgres and anvil: verdicts in, money moved on chain by
the service's evaluator key, the ledger equal to the chain for every party."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from pactline_cli.commands.settlement import SettlementApi, reconcile_ledger
from pactline_escrow import JobStatus
from pactline_service.runtime import running
from pactline_settlement.escrow_calls import verify_on_chain
from pactline_settlement.proofs import leaf_from_json
from settlement_chain import (
    HOUR,
    PRICE,
    api_get,
    asgi_transport,
    ledger_row,
    new_deal,
    service_settings,
    service_spec,
    settle_events,
    signer_of,
    wait_until,
)
from settlement_testkit import WINDOW

pytestmark = pytest.mark.infra


@pytest.fixture
async def settlement(database_url, kafka_topics, eth_rpc_url, db_schema, deployment_file, evaluator_key):
    spec = await service_spec(kafka_topics, db_schema)
    settings = service_settings(database_url, kafka_topics, eth_rpc_url, deployment_file, evaluator_key)
    async with running(spec, settings) as service:
        service.evaluator_address = Account.from_key(evaluator_key).address
        await signer_of(service)
        yield service


async def figures(service, acceptance_id: str) -> dict | None:
    row = await ledger_row(service.pool, acceptance_id)
    if row is None:
        return None
    return {k: int(row[k]) for k in ("escrowed", "released", "refunded", "held", "remaining")}


async def escrowed(service, acceptance_id: str, amount: int) -> bool:
    found = await figures(service, acceptance_id)
    return found is not None and found["escrowed"] == amount


async def test_pass_releases_the_budget_to_the_provider_once_its_submit_is_on_chain(
    settlement, chain, publisher, kafka_topics
):
    deal = await new_deal(chain, publisher, settlement.evaluator_address, "per_task")
    await deal.accept()
    job = await deal.funded_job()
    task = deal.task_id()
    await deal.complete_task(task, job)
    await deal.judge(task, "PASS", job)

    # PASS waits for the provider's submit: nothing is sent before it.
    await wait_until(lambda: escrowed(settlement, deal.acceptance_id, PRICE), what="the funding in the ledger")
    assert (await chain.reader.get_job(job)).status is JobStatus.FUNDED
    provider_before = await chain.balance(deal.provider.address)
    await deal.submit(job)

    async def released():
        found = await figures(settlement, deal.acceptance_id)
        return found if found and found["released"] == PRICE else None

    ledger = await wait_until(released, what="the release in the ledger")
    assert ledger == {"escrowed": PRICE, "released": PRICE, "refunded": 0, "held": 0, "remaining": 0}
    assert (await chain.reader.get_job(job)).status is JobStatus.COMPLETED
    assert await chain.balance(deal.provider.address) - provider_before == PRICE
    events = await settle_events(kafka_topics, deal.acceptance_id)
    assert [e.event_type for e in events] == ["EscrowFunded", "EscrowSubmitted", "EscrowSettled"]
    settled = events[-1].payload
    assert (settled.cause, settled.task_ids, settled.released) == ("completed", (task,), PRICE)
    assert settled.reason is not None


async def test_fail_refunds_the_buyer(settlement, chain, publisher, kafka_topics):
    deal = await new_deal(chain, publisher, settlement.evaluator_address, "per_task")
    await deal.accept()
    buyer_before = await chain.balance(deal.buyer.address)
    job = await deal.funded_job()
    task = deal.task_id()
    await deal.complete_task(task, job)
    await deal.judge(task, "FAIL", job)

    async def refunded():
        found = await figures(settlement, deal.acceptance_id)
        return found if found and found["refunded"] == PRICE else None

    assert await wait_until(refunded, what="the refund") == {
        "escrowed": PRICE,
        "released": 0,
        "refunded": PRICE,
        "held": 0,
        "remaining": 0,
    }
    assert (await chain.reader.get_job(job)).status is JobStatus.REJECTED
    assert await chain.balance(deal.buyer.address) == buyer_before


async def test_a_deliverable_other_than_the_evaluated_output_is_refunded_with_the_reason(
    settlement, chain, publisher, kafka_topics
):
    deal = await new_deal(chain, publisher, settlement.evaluator_address, "per_task")
    await deal.accept()
    job = await deal.funded_job()
    task = deal.task_id()
    await deal.complete_task(task, job)
    await deal.submit(job, output="something else")
    await deal.judge(task, "PASS", job)

    async def rejected():
        events = await settle_events(kafka_topics, deal.acceptance_id)
        return [e for e in events if e.event_type == "EscrowSettled"]

    (settled,) = await wait_until(rejected, what="the rejection")
    assert settled.payload.cause == "rejected"
    assert "differs from the evaluated output's digest" in settled.payload.detail
    assert (await chain.reader.get_job(job)).status is JobStatus.REJECTED


async def test_inconclusive_is_held_until_the_dispute_window_closes_then_refunded(
    settlement, chain, publisher, kafka_topics
):
    deal = await new_deal(chain, publisher, settlement.evaluator_address, "per_task")
    await deal.accept()
    job = await deal.funded_job(expires_in=WINDOW + 2 * HOUR)
    task = deal.task_id()
    await deal.complete_task(task, job)
    await deal.submit(job)
    await deal.judge(task, "INCONCLUSIVE", job)

    async def held():
        found = await figures(settlement, deal.acceptance_id)
        return found if found and found["held"] == PRICE else None

    await wait_until(held, what="the hold")
    # Several passes of the signer later, still held: the window is days long.
    passes = settlement.resources["signer"].passes
    await wait_until(lambda: _at_least(settlement.resources["signer"].passes, passes + 3), what="signer passes")
    assert (await chain.reader.get_job(job)).status is JobStatus.SUBMITTED

    await chain.advance(WINDOW + 60)

    async def refunded():
        found = await figures(settlement, deal.acceptance_id)
        return found if found and found["refunded"] == PRICE else None

    assert await wait_until(refunded, what="the refund after the window") == {
        "escrowed": PRICE,
        "released": 0,
        "refunded": PRICE,
        "held": 0,
        "remaining": 0,
    }
    assert (await chain.reader.get_job(job)).status is JobStatus.REJECTED


async def _at_least(value: int, floor: int) -> bool:
    return value >= floor


async def test_a_provider_that_never_submits_leaves_the_job_to_claim_refund(settlement, chain, publisher, kafka_topics):
    deal = await new_deal(chain, publisher, settlement.evaluator_address, "per_task")
    await deal.accept()
    job = await deal.funded_job(expires_in=HOUR)
    task = deal.task_id()
    await deal.complete_task(task, job)
    await deal.judge(task, "PASS", job)
    await wait_until(lambda: escrowed(settlement, deal.acceptance_id, PRICE), what="the funding in the ledger")
    await chain.advance(HOUR + 1)
    await deal.buyer.claim_refund(job)

    async def expired():
        events = await settle_events(kafka_topics, deal.acceptance_id)
        return [e for e in events if e.event_type == "EscrowSettled"]

    (settled,) = await wait_until(expired, what="the refund after expiry")
    assert (settled.payload.cause, settled.payload.refunded) == ("expired", PRICE)

    async def closed():
        response = await api_get(settlement, f"/v1/settlements/tasks/{task}")
        return response.json() if response.json()["status"] == "done" else None

    assert "already expired" in (await wait_until(closed, what="the task closed"))["detail"]
    expected = {"escrowed": PRICE, "released": 0, "refunded": PRICE, "held": 0, "remaining": 0}

    async def in_ledger():
        return await figures(settlement, deal.acceptance_id) == expected

    await wait_until(in_ledger, what="the expiry refund in the ledger")


@pytest.fixture
async def batching_settlement(database_url, kafka_topics, eth_rpc_url, db_schema, deployment_file, evaluator_key):
    spec = await service_spec(kafka_topics, db_schema)
    settings = service_settings(
        database_url,
        kafka_topics,
        eth_rpc_url,
        deployment_file,
        evaluator_key,
        settlement_batch_max_tasks=4,
        settlement_batch_max_age_s=3600,
    )
    async with running(spec, settings) as service:
        service.evaluator_address = Account.from_key(evaluator_key).address
        await signer_of(service)
        yield service


async def test_aggregate_batches_settle_netted_amounts_and_every_party_matches_the_ledger(
    batching_settlement, chain, publisher, kafka_topics
):
    service = batching_settlement
    deal = await new_deal(chain, publisher, service.evaluator_address, "aggregate")
    outcomes = ["PASS", "FAIL", "PASS", "INCONCLUSIVE", "PASS", "PASS", "FAIL", "PASS", "PASS"]
    buyer_start = await chain.balance(deal.buyer.address)
    provider_start = await chain.balance(deal.provider.address)
    await deal.accept()
    pool_id = await deal.open_pool(tasks=len(outcomes) + 1, expires_in=WINDOW + 900)
    tasks = []
    for outcome in outcomes:
        task = deal.task_id()
        tasks.append((task, outcome))
        await deal.complete_task(task)
        await deal.judge(task, outcome)

    # Eight tasks are final at once: two full batches of four. The INCONCLUSIVE one waits.
    two_batches = {
        "escrowed": 10 * PRICE,
        "released": 6 * PRICE,
        "refunded": 2 * PRICE,
        "held": PRICE,
        "remaining": PRICE,
    }

    async def settled_twice():
        return await figures(service, deal.acceptance_id) == two_batches

    await wait_until(settled_twice, what="two batches in the ledger (and the INCONCLUSIVE task held)")
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.last_batch_seq, pool.remaining) == (2, 2 * PRICE)

    # After the window the INCONCLUSIVE task is refunded in a batch of its own: one task is
    # fewer than a full batch, and it is cut because the pool expires within the margin.
    await chain.advance(WINDOW + 400)

    async def third_batch():
        found = await figures(service, deal.acceptance_id)
        return found if found and found["refunded"] == 3 * PRICE else None

    ledger = await wait_until(third_batch, what="the INCONCLUSIVE task refunded")
    assert ledger == {
        "escrowed": 10 * PRICE,
        "released": 6 * PRICE,
        "refunded": 3 * PRICE,
        "held": 0,
        "remaining": PRICE,
    }

    # The chain agrees with the ledger, party by party. Batches credit the parties in the pool;
    # what they have not withdrawn yet is still owed to them there.
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.released, pool.refunded) == (ledger["released"], ledger["refunded"])
    assert pool.remaining == ledger["held"] + ledger["remaining"]
    assert await chain.balance(deal.provider.address) - provider_start + pool.provider_owed == ledger["released"]
    assert buyer_start - await chain.balance(deal.buyer.address) - pool.buyer_owed == (
        ledger["escrowed"] - ledger["refunded"]
    )
    await deal.provider.withdraw_pool_credit(pool_id)
    assert await chain.balance(deal.provider.address) - provider_start == ledger["released"]

    events = await settle_events(kafka_topics, deal.acceptance_id)
    batches = [e.payload for e in events if e.event_type == "EscrowSettled"]
    assert [b.batch_seq for b in batches] == [1, 2, 3]
    batched = [t for b in batches for t in b.task_ids]
    assert sorted(batched) == sorted(t for t, _ in tasks)  # every task in exactly one batch
    for batch in batches:
        assert batch.released == sum(leaf.released for leaf in batch.leaves)
        assert batch.refunded == sum(leaf.refunded for leaf in batch.leaves)

    # `pactline settlement reconcile` finds the ledger equal to the chain, and finds a tampered row.
    api = SettlementApi("http://settlement", transport=asgi_transport(service))
    checked, differences = await reconcile_ledger(api, chain.reader, deal.acceptance_id)
    assert (checked, differences) == (1, [])
    await service.pool.execute("UPDATE ledger_pools SET released = released + 1 WHERE pool_id = $1", pool_id)
    _, differences = await reconcile_ledger(api, chain.reader, deal.acceptance_id)
    assert [(d.field, d.ledger, d.chain) for d in differences] == [("released", 6 * PRICE + 1, 6 * PRICE)]

    # Every task's proof checks against the root stored on chain, through the contract itself,
    # as `pactline settlement verify` asks it.
    for task, outcome in tasks:
        response = await api_get(service, f"/v1/settlements/tasks/{task}/proof")
        assert response.status_code == 200, response.text
        proof = response.json()
        assert proof["leaf"]["outcome"] == outcome
        leaf = leaf_from_json(proof["leaf"])
        assert await verify_on_chain(
            chain.reader,
            bytes.fromhex(proof["pool_id"][2:]),
            proof["batch_seq"],
            leaf,
            [bytes.fromhex(p[2:]) for p in proof["proof"]],
        )
        tampered = leaf.__class__(**{**leaf.__dict__, "released": leaf.released + 1})
        assert not await verify_on_chain(
            chain.reader,
            bytes.fromhex(proof["pool_id"][2:]),
            proof["batch_seq"],
            tampered,
            [bytes.fromhex(p[2:]) for p in proof["proof"]],
        )


async def _caught_up(runner) -> bool:
    return await runner.lag() == 0


async def test_a_rebuild_from_offset_zero_gives_the_same_ledger(settlement, chain, publisher, kafka_topics):
    deal = await new_deal(chain, publisher, settlement.evaluator_address, "per_task")
    await deal.accept()
    for outcome in ("PASS", "FAIL"):
        job = await deal.funded_job()
        task = deal.task_id()
        await deal.complete_task(task, job)
        await deal.submit(job)
        await deal.judge(task, outcome, job)

    async def settled():
        found = await figures(settlement, deal.acceptance_id)
        return found if found and found["released"] == PRICE and found["refunded"] == PRICE else None

    await wait_until(settled, what="both jobs settled")
    runner = settlement.projections["settlement-ledger"]
    # The topics are folded as they are polled, not in one global order: the snapshot is taken
    # once everything published is folded (a verdict may still trail the settlement it caused).
    await wait_until(lambda: _caught_up(runner), what="the ledger to fold the whole log")
    snapshot = """SELECT (SELECT json_agg(a ORDER BY acceptance_id) FROM ledger_acceptances a
                          WHERE acceptance_id = $1)::text,
                         (SELECT json_agg(j ORDER BY job_id) FROM ledger_jobs j WHERE acceptance_id = $1)::text,
                         (SELECT json_agg(s ORDER BY key) FROM projection_states s WHERE key = $1)::text"""
    before = tuple(await settlement.pool.fetchrow(snapshot, deal.acceptance_id))
    await runner.stop()
    await runner.rebuild()
    assert await ledger_row(settlement.pool, deal.acceptance_id) is None
    await runner.start()

    async def caught_up():
        return await runner.lag() == 0 and await ledger_row(settlement.pool, deal.acceptance_id) is not None

    await wait_until(caught_up, what="the rebuilt ledger")
    after = tuple(await settlement.pool.fetchrow(snapshot, deal.acceptance_id))
    assert [json.loads(a) for a in after] == [json.loads(b) for b in before]
