"""End to end against the real Kafka, Postgres and anvil: verdicts in, money moved on chain by
the service's evaluator key, the ledger equal to the chain for every party."""

from __future__ import annotations

import pytest
from eth_account import Account
from settlement_chain import (
    HOUR,
    PRICE,
    api_get,
    ledger_row,
    new_deal,
    service_settings,
    service_spec,
    settle_events,
    wait_until,
)
from settlement_testkit import WINDOW

from pactline_escrow import JobStatus
from pactline_service.runtime import running

pytestmark = pytest.mark.infra


@pytest.fixture
async def settlement(database_url, kafka_topics, eth_rpc_url, db_schema, deployment_file, evaluator_key):
    spec = await service_spec(kafka_topics, db_schema)
    settings = service_settings(database_url, kafka_topics, eth_rpc_url, deployment_file, evaluator_key)
    async with running(spec, settings) as service:
        service.evaluator_address = Account.from_key(evaluator_key).address
        yield service


async def figures(service, acceptance_id: str) -> dict | None:
    row = await ledger_row(service.pool, acceptance_id)
    if row is None:
        return None
    return {k: int(row[k]) for k in ("escrowed", "released", "refunded", "held", "remaining")}


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
    await wait_until(lambda: figures(settlement, deal.acceptance_id), what="the funding in the ledger")
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
    await wait_until(lambda: figures(settlement, deal.acceptance_id), what="the funding in the ledger")
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
    found = await figures(settlement, deal.acceptance_id)
    assert found == {"escrowed": PRICE, "released": 0, "refunded": PRICE, "held": 0, "remaining": 0}
