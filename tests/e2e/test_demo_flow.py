"""The demo's flow end to end, smaller (`make demo` sends 280 tasks, this about 17): the demo's
own scenario runs against the six services, the SIMULATED judges and agents, on the real Kafka,
PostgreSQL and anvil, and every figure it prints is checked against the log, the chain, the
Trust Oracle and the auditor's replay."""

from __future__ import annotations

import io
from collections import Counter

import httpx
import pytest
from rich.console import Console

from demo.main import run
from demo.plan import PRICE_PER_TASK, lanes
from demo_stack import private_anvil, running_platform, simulated_judges
from pactline_events import decode
from pactline_events.topics import ACCEPTANCES, VERDICTS
from pactline_jury.screen import screen
from pactline_messaging.log_reader import read_topic

pytestmark = pytest.mark.infra

SCALE = 0.05


async def _events(kafka: str, topic, streams: set[bytes]) -> list:
    seen, out = set(), []
    for record in await read_topic(kafka, topic, lambda r: r.key in streams):
        event = decode(record.value)
        if event.event_id not in seen:  # an exact redelivery is one event
            seen.add(event.event_id)
            out.append(event)
    return out


async def test_the_demo_flow_agrees_with_the_log_the_oracle_and_the_audit(
    database_url, kafka_topics, db_schema, tmp_path, monkeypatch
):
    plan = lanes(SCALE)
    printed = io.StringIO()
    async with simulated_judges() as judges, private_anvil() as rpc:
        monkeypatch.setenv("PACTLINE_JURY_JUDGE_SERVER_URL", judges)
        async with running_platform(database_url, kafka_topics, rpc, db_schema, tmp_path) as platform:
            try:
                outcome = await run(platform, SCALE, Console(file=printed, width=160), tmp_path)
            finally:
                print(printed.getvalue())
            async with httpx.AsyncClient(base_url=platform.scoring) as oracle:
                snapshot = (await oracle.get("/v1/snapshot")).json()
    roster, tasks, readout = outcome.roster, outcome.tasks, outcome.readout
    assert len(tasks) == sum(lane.tasks for lane in plan)
    ours = {f"acceptance-{a.acceptance_id}".encode() for a in roster.acceptances}
    ours |= {f"gateway-{a.acceptance_id}".encode() for a in roster.acceptances}

    # Every task is on the log once, and judged once, as its evidence and its agent deserve.
    completed = await _events(kafka_topics, ACCEPTANCES, ours)
    reported = {e.payload.task_id: e.payload for e in completed if e.event_type == "TaskCompleted"}
    assert set(reported) == {t.task_id for t in tasks}
    assert Counter(str(p.provenance) for p in reported.values()) == Counter(t.provenance for t in tasks)
    verdicts = {
        e.payload.task_id: e.payload
        for e in await _events(kafka_topics, VERDICTS, {f"evaluation-{t.task_id}".encode() for t in tasks})
    }
    assert set(verdicts) == set(reported)
    label = {a.agent_id: a.spec.label for a in roster.agents.values()}
    outcomes = Counter((label[v.agent_id], str(v.provenance), str(v.outcome)) for v in verdicts.values())
    expected = Counter()
    for task in tasks:
        agent = task.acceptance.agent.spec.label
        verdict = "FAIL" if agent != "reliable" else "INCONCLUSIVE" if task.provenance == "buyer_only" else "PASS"
        expected[(agent, task.provenance, verdict)] += 1
    assert outcomes == expected

    # The Trust Oracle counted every verdict, and ranks the reliable agent first.
    per_agent = Counter(label[v.agent_id] for v in verdicts.values())
    assert {label[a]: s["verdicts"] for a, s in readout.scores.items()} == per_agent
    composite = {label[a]: s["composite"] for a, s in readout.scores.items()}
    assert composite["reliable"] > composite["sloppy"] >= 0
    assert composite["reliable"] > composite["deceptive"] >= 0

    # The jury (a fresh schema: this run only) deliberated once per task and flagged exactly
    # the outputs that carry text aimed at judges.
    assert readout.jury["deliberations"] == len(tasks)
    assert readout.jury["flagged_outputs"] == sum(bool(screen(p.output)) for p in reported.values()) > 0
    assert readout.jury["pending_requests"] == 0

    # The auditor's replay of the whole log gives the oracle's digest, and finds nothing broken
    # in this run's streams (the shared log may hold other tests' deliberately broken records).
    audit = readout.audit.report
    assert audit["digest"] == audit["oracle_digest"] == snapshot["digest"]
    assert not audit["mismatches"]
    run_ids = [a.acceptance_id for a in roster.acceptances] + [t.task_id for t in tasks]
    assert not [line for line in audit["broken"] if any(i in line for i in run_ids)]

    # Escrow followed the verdicts: PASS released, FAIL refunded, INCONCLUSIVE held (its dispute
    # window is open), in the ledger and on chain alike, and reconcile finds no difference.
    money = outcome.settlement
    assert outcome.settled
    assert money is not None
    assert money.available
    for acceptance in roster.acceptances:
        judged = Counter(str(verdicts[t.task_id].outcome) for t in tasks if t.acceptance is acceptance)
        ledger, chain = money.acceptances[acceptance.acceptance_id], money.chain[acceptance.acceptance_id]
        figures = {k: ledger[k] for k in ("escrowed", "released", "refunded", "held")}
        assert figures == {
            "escrowed": acceptance.lane.escrow_total,
            "released": judged["PASS"] * PRICE_PER_TASK,
            "refunded": judged["FAIL"] * PRICE_PER_TASK,
            "held": judged["INCONCLUSIVE"] * PRICE_PER_TASK,
        }, acceptance.lane.key
        assert chain == {
            "escrowed": ledger["escrowed"],
            "released": ledger["released"],
            "refunded": ledger["refunded"],
            "held + remaining": ledger["held"] + ledger["remaining"],
        }, acceptance.lane.key
    assert money.reconcile is not None
    assert money.reconcile.exit_code == 0, money.reconcile
    # The providers withdrew what the pools credited them: their wallets grew by what was released.
    for agent in roster.agents.values():
        wallet = money.wallets[agent.spec.operator.name]
        assert wallet["after"] - wallet["before"] == money.agents[agent.agent_id]["released"]
    assert {tx["status"] for tx in money.transactions} == {"confirmed"}
    assert {tx["kind"] for tx in money.transactions} >= {"settle_batch", "complete", "reject"}

    # The HTML report was written with this run's agents in it.
    page = outcome.report.read_text()
    assert all(f"{spec}-bot" in page for spec in ("reliable", "sloppy", "deceptive"))
