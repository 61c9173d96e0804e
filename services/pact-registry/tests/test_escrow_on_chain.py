"""The registry takes a task only against escrow on chain that backs it (issue 9, item 4): each
attack below runs against the running registry and the session's anvil deployment and is
refused with the term that differs named, leaving no trace."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from datetime import datetime

import httpx
import pytest
from eth_account import Account

from pactline_registry.app import SPEC
from pactline_service import build_app
from registry_testkit import Registry, auth, registry_settings, task_body

pytestmark = pytest.mark.infra


async def _setup(registry, **escrow):
    _, op_key = await registry.principal("operator")
    _, buyer_key = await registry.principal("buyer")
    agent_id = await registry.agent(op_key)
    pact = await registry.publish(op_key, agent_id)
    acceptance = await registry.accept(buyer_key, pact["pact_id"], **escrow)
    return buyer_key, pact, acceptance


async def _submit(registry, buyer_key: str, acceptance: dict, body: dict) -> httpx.Response:
    return await registry.client.post(
        f"/v1/acceptances/{acceptance['acceptance_id']}/tasks", json=body, headers=auth(buyer_key)
    )


async def test_a_job_the_buyer_funded_for_the_acceptance_backs_one_task(registry):
    buyer_key, _, acceptance = await _setup(registry)
    job = await registry.job(acceptance)
    taken = await _submit(registry, buyer_key, acceptance, task_body("t-1", job=job))
    assert taken.status_code == 201, taken.text
    assert taken.json()["escrow_job_id"] == job


async def test_a_buyer_cannot_claim_a_job_another_buyer_created(registry):
    """The squatting attack: job ids are sequential, so a buyer could name the next ones and
    block other buyers' tasks with 409. The job's client on chain must be the buyer."""
    _, op_key = await registry.principal("operator")
    _, honest_key = await registry.principal("buyer", name="honest")
    _, squatter_key = await registry.principal("buyer", name="squatter", address=registry.chain.buyers[1].address)
    pact = await registry.publish(op_key, await registry.agent(op_key))
    honest = await registry.accept(honest_key, pact["pact_id"])
    squatter = await registry.accept(squatter_key, pact["pact_id"])
    honest_job = await registry.job(honest)
    before = await registry.counts()

    refused = await _submit(registry, squatter_key, squatter, task_body("squat", job=honest_job))

    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "escrow_job_mismatch"
    assert [f["message"].split(":")[0] for f in error["fields"]] == ["client"]
    assert registry.chain.buyers[0].address in error["fields"][0]["message"]
    assert await registry.counts() == before
    # The job still pays for the honest buyer's task.
    assert (await _submit(registry, honest_key, honest, task_body("mine", job=honest_job))).status_code == 201


@pytest.mark.parametrize("term", ["provider", "evaluator", "token", "budget"])
async def test_a_job_with_other_terms_than_accepted_is_refused_naming_the_term(registry, term):
    buyer_key, _, acceptance = await _setup(registry)
    chain = registry.chain
    other = {
        "provider": {"provider": Account.create().address},
        "evaluator": {"evaluator": Account.create().address},
        "token": {"token": chain.other_token},
        "budget": {"budget": acceptance["escrow"]["price_per_task"] - 1},
    }[term]
    job = await registry.job(acceptance, **other)
    before = await registry.counts()

    refused = await _submit(registry, buyer_key, acceptance, task_body("t", job=job))

    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "escrow_job_mismatch"
    assert term in error["message"]
    assert [f["message"].split(":")[0] for f in error["fields"]] == [term]
    assert {f["pointer"] for f in error["fields"]} == {"/escrow_job_id"}
    assert await registry.counts() == before


async def test_an_unfunded_or_unknown_job_is_refused(registry):
    buyer_key, _, acceptance = await _setup(registry)
    unfunded = await registry.job(acceptance, fund=False)
    open_job = await _submit(registry, buyer_key, acceptance, task_body("a", job=unfunded))
    assert open_job.status_code == 409
    assert open_job.json()["error"]["code"] == "escrow_job_not_funded"
    assert "OPEN" in open_job.json()["error"]["message"]
    unknown = await _submit(registry, buyer_key, acceptance, task_body("b", job=str(10**30)))
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "escrow_job_not_found"
    assert (await registry.counts())["tasks"] == 0


async def test_two_acceptances_racing_for_one_job_get_one_task_and_a_409(registry):
    """Two acceptances of one buyer with the same terms: the job matches both, so both pass the
    chain check at once; the job still pays for one task only, and the loser gets a 409."""
    buyer_key, pact, first = await _setup(registry)
    second = await registry.accept(buyer_key, pact["pact_id"])
    job = await registry.job(first)
    answers = await asyncio.gather(
        *(
            _submit(registry, buyer_key, acceptance, task_body(f"race-{n}", job=job))
            for n, acceptance in enumerate((first, second, first, second))
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"escrow_job_already_used"}
    assert (await registry.counts())["tasks"] == 1


async def test_an_aggregate_acceptance_is_usable_only_once_its_pool_is_funded(registry):
    buyer_key, _, acceptance = await _setup(registry, mode="aggregate", pool_size=1_000_000, fund_pool=False)
    refused = await _submit(registry, buyer_key, acceptance, task_body("early"))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "escrow_pool_not_funded"
    assert "pactline escrow open-pool" in refused.json()["error"]["message"]

    await registry.chain.fund_pool(acceptance)
    taken = await _submit(registry, buyer_key, acceptance, task_body("funded"))
    assert taken.status_code == 201, taken.text
    assert (await registry.counts())["tasks"] == 1


@pytest.mark.parametrize("term", ["provider", "evaluator", "token", "price_per_task", "amount", "expires_at"])
async def test_a_pool_with_other_terms_than_accepted_is_refused_naming_the_term(registry, term):
    # 30 days (the pact's longest): a pool ending a minute before the acceptance is still in
    # the chain's future even when other suites moved anvil's clock ahead.
    buyer_key, _, acceptance = await _setup(
        registry, mode="aggregate", pool_size=1_000_000, expires_in_seconds=30 * 86_400, fund_pool=False
    )
    chain, price = registry.chain, acceptance["escrow"]["price_per_task"]
    accepted_until = int(datetime.fromisoformat(acceptance["expires_at"]).timestamp())
    other = {
        "provider": {"provider": Account.create().address},
        "evaluator": {"evaluator": Account.create().address},
        "token": {"token": chain.other_token},
        "price_per_task": {"price_per_task": price // 2},
        "amount": {"amount": 1_000_000 - price},  # funded with less than accepted
        "expires_at": {"expires_at": accepted_until - 60},  # ends before the acceptance
    }[term]
    await chain.fund_pool(acceptance, **other)
    before = await registry.counts()

    refused = await _submit(registry, buyer_key, acceptance, task_body("t"))

    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "escrow_pool_mismatch"
    assert [f["message"].split(":")[0] for f in error["fields"]] == [term]
    assert await registry.counts() == before


async def test_another_buyers_pool_does_not_back_the_acceptance(registry):
    """Pool ids are keccak256(buyer, acceptance id): a pool the squatter opens for someone else's
    acceptance is not that acceptance's pool."""
    buyer_key, _, acceptance = await _setup(registry, mode="aggregate", pool_size=1_000_000, fund_pool=False)
    await registry.chain.fund_pool(acceptance, buyer=registry.chain.buyers[1])
    refused = await _submit(registry, buyer_key, acceptance, task_body("t"))
    assert refused.json()["error"]["code"] == "escrow_pool_not_funded"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mode", ["per_task", "aggregate"])
async def test_an_unreachable_chain_is_a_503_and_never_an_accepted_task(
    registry, database_url, kafka_topics, db_schema, mode
):
    """The same registry state, served by an instance whose RPC does not answer."""
    buyer_key, _, acceptance = await _setup(
        registry, mode=mode, **({"pool_size": 1_000_000} if mode == "aggregate" else {})
    )
    body = task_body("t", job=await registry.job(acceptance) if mode == "per_task" else None)
    settings = registry_settings(
        database_url, kafka_topics, registry.chain, eth_rpc_url=f"http://127.0.0.1:{_closed_port()}"
    )
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://registry") as client,
    ):
        cut_off = Registry(app, client, registry.chain)
        before = await cut_off.counts()
        refused = await _submit(cut_off, buyer_key, acceptance, body)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "escrow_unavailable"
        assert refused.headers["retry-after"] == "5"
        assert await cut_off.counts() == before


async def test_no_deployment_file_is_a_503(registry, database_url, kafka_topics, db_schema, tmp_path):
    buyer_key, _, acceptance = await _setup(registry)
    body = task_body("t", job=await registry.job(acceptance))
    settings = registry_settings(database_url, kafka_topics, registry.chain, deployment_file=tmp_path / "none.json")
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://registry") as client,
    ):
        refused = await _submit(Registry(app, client, registry.chain), buyer_key, acceptance, body)
    assert refused.status_code == 503
    assert "PACTLINE_DEPLOYMENT_FILE" in refused.json()["error"]["message"]
