"""The whole loop, end to end: TaskCompleted -> evaluator -> VerdictIssued -> settlement ->
batch on chain -> EscrowSettled, reported as ratios to the raw Kafka baseline measured earlier
in the same `make bench` (.local/bench/kafka_baseline.json).

What runs: the real evaluator and settlement services in this process (their handlers,
consumers, outboxes and relays, each in a fresh schema and under a consumer group of its own
positioned at the end of the shared log; they emit and sign as ``evaluator`` and
``settlement``), on the local Kafka, PostgreSQL and anvil. Freshly deployed escrow contracts;
PACTLINE_BENCH_E2E_ACCEPTANCES acceptances (default 4), each an aggregate escrow whose pool a
buyer opens and funds on anvil through ``pactline_escrow.BuyerClient``, under a pact of
deterministic clauses only (no rubric: no jury). Tasks enter through bench/harness.py's
``Injector`` as the registry's do (outbox commit -> relay -> topic, signed as
``pact-registry``); one in ten fails a must clause, the rest pass.

Settlement is configured as the local stack runs it (scripts/services.sh): one confirmation,
batches cut at 1000 ready tasks or when the oldest has waited 5 s, a signer pass every 1 s;
the PACTLINE_SETTLEMENT_* variables override these as they do for the service.

In aggregate mode settlement emits one EscrowSettled per batch (``cause="batch"``), carrying
every task of the batch in ``task_ids``, with a correlation id derived from the transaction
(not the tasks'). So a task counts as settled when an EscrowSettled naming its task id
arrives; the batch sizes seen are reported.

Two figures:
- (a) throughput: PACTLINE_BENCH_E2E_TASKS tasks (default 3000) in a burst, from the first
  outbox commit to the last task named by an EscrowSettled; ratio to the raw throughput,
  target at least 0.25;
- (b) latency: tasks at half the throughput just measured for PACTLINE_BENCH_OPEN_LOOP_S
  seconds (default 5), TaskCompleted's outbox commit -> VerdictIssued seen on the verdicts
  topic; its p99 as a ratio to the raw aiokafka round trip p99 measured right after at the
  same rate, target at most 3 (the ratio to the baseline's own open loop is shown too, with
  the same tasks' latency to EscrowSettled, how late the process's event loop ran, and where
  the verdict latency goes: ``verdict_stages_ms`` from both sides' outbox rows).

Prints one JSON object on stdout (also written to .local/bench/e2e_loop.json); progress on
stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import harness
import kafka_baseline

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from evaluator_testkit import DETERMINISTIC_CLAUSES, completed, pact_document
from pactline_escrow import BuyerClient
from pactline_evaluator.app import SPEC as EVALUATOR
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import (
    EVENT_TOPICS,
    AcceptedEscrow,
    Envelope,
    EscrowSettled,
    EventPayload,
    PactAccepted,
    utc_now,
)
from pactline_events.topics import ESCROW, VERDICTS
from pactline_messaging import endpoints, outbox
from pactline_pacts import pact_hash
from pactline_service import ServiceSpec, build_app
from pactline_settlement.app import SPEC as SETTLEMENT
from pactline_settlement.escrow_calls import id32
from pactline_settlement.settings import SettlementSettings
from settlement_chain import ONE_USDC, funded_account, new_chain
from topic_reader import start_group_at_end

TASKS = int(os.environ.get("PACTLINE_BENCH_E2E_TASKS", "3000"))
ACCEPTANCES = int(os.environ.get("PACTLINE_BENCH_E2E_ACCEPTANCES", "4"))
OPEN_LOOP_S = float(os.environ.get("PACTLINE_BENCH_OPEN_LOOP_S", "5"))
TIMEOUT_S = float(os.environ.get("PACTLINE_BENCH_E2E_TIMEOUT_S", "600"))
PRICE = 10_000  # 0.01 USDC a task
FAIL_EVERY = 10
TARGETS = {"throughput": 0.25, "open_loop_p99": 3.0}
# The local stack's settlement (scripts/services.sh); the environment overrides these.
LOCAL_SETTLEMENT = {"PACTLINE_SETTLEMENT_CONFIRMATIONS": "1", "PACTLINE_SETTLEMENT_BATCH_MAX_AGE_S": "5"}
CLAUSES = DETERMINISTIC_CLAUSES
TOPICS = {spec.name: spec for spec in EVENT_TOPICS}


def say(text: str) -> None:
    print(f"[e2e] {text}", file=sys.stderr, flush=True)


@dataclass
class Deal:
    acceptance: PactAccepted
    buyer: BuyerClient
    pool_id: bytes


@dataclass
class LoopInjector(harness.Injector):
    """The harness's injector, remembering which correlation each task id went in under: a
    batch's EscrowSettled names its tasks, not their correlations."""

    correlation_of: dict[str, UUID] = field(default_factory=dict)

    async def inject(self, events: list[tuple[str, EventPayload]], recorder: harness.Recorder) -> list[UUID]:
        correlations = await super().inject(events, recorder)
        for (_, payload), correlation in zip(events, correlations, strict=True):
            self.correlation_of[payload.task_id] = correlation
        return correlations


class Tee(harness.Recorder):
    """A recorder whose starts are also the starts of ``others`` (one injection, several answers)."""

    def __init__(self, *others: harness.Recorder) -> None:
        super().__init__()
        self.others = others

    def begin(self, correlation: UUID, at_ns: int) -> None:
        super().begin(correlation, at_ns)
        for other in self.others:
            other.begin(correlation, at_ns)


class SettledWatcher(harness.KafkaWatcher):
    """Completes every task an EscrowSettled of our acceptances names, and keeps the batch sizes."""

    def __init__(self, correlation_of: dict[str, UUID], acceptances: set[str]) -> None:
        super().__init__((ESCROW,), "EscrowSettled")
        self.correlation_of = correlation_of
        self.acceptances = acceptances
        self.batches: list[dict] = []

    def seen(self, event: Envelope, now_ns: int) -> None:
        settled = event.payload
        if not isinstance(settled, EscrowSettled) or settled.acceptance_id not in self.acceptances:
            return
        tasks_correlations = {self.correlation_of.get(t) for t in settled.task_ids}
        self.batches.append(
            {
                "cause": str(settled.cause),
                "tasks": len(settled.task_ids),
                "batch_seq": settled.batch_seq,
                "correlation_is_a_tasks": event.correlation_id in tasks_correlations,
            }
        )
        for task_id in settled.task_ids:
            if task_id in self.correlation_of:
                self.recorder.done(self.correlation_of[task_id], now_ns)


class LoopLag:
    """How late a 10 ms sleep wakes up on this process's event loop: every service, the injector
    and the watchers share it, so a busy loop delays all of them (each service has a process of
    its own in a deployment)."""

    def __init__(self) -> None:
        self.late_ns: list[int] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter_ns()
            await asyncio.sleep(0.01)
            self.late_ns.append(time.perf_counter_ns() - before - 10_000_000)

    def stop(self) -> dict[str, float]:
        if self._task is not None:
            self._task.cancel()
        return {**harness.percentiles_ms(self.late_ns), "max": round(max(self.late_ns, default=0) / 1e6, 2)}


async def open_loop_stages(pool, source_schema: str, evaluator_schema: str, task_ids: list[str]) -> dict:
    """Where the open loop's TaskCompleted -> VerdictIssued time goes, from the rows both sides
    keep (PostgreSQL's clock; ``now()`` is a transaction's start): the registry-like outbox
    row's commit to its publication, publication to the evaluator's transaction that took the
    task, and that transaction's start to the verdict's publication by the evaluator's relay."""
    # The schema names are this bench's own (a prefix and a hex run id), never input.
    rows = await pool.fetch(
        f"""SELECT extract(epoch FROM t.published_at - t.created_at) * 1000 AS relay_ms,
                   extract(epoch FROM e.received_at - t.published_at) * 1000 AS to_evaluator_ms,
                   extract(epoch FROM v.published_at - e.received_at) * 1000 AS evaluator_ms
            FROM {evaluator_schema}.evaluations e
            JOIN {source_schema}.outbox t ON t.event_id = e.task_event_id
            JOIN {evaluator_schema}.outbox v ON v.stream_id = 'evaluation-' || e.task_id
                 AND v.event_type = 'VerdictIssued'
            WHERE e.task_id = ANY($1::text[])""",  # noqa: S608
        task_ids,
    )
    stages = {}
    for stage in ("relay_ms", "to_evaluator_ms", "evaluator_ms"):
        ordered = sorted(float(r[stage]) for r in rows)
        stages[stage] = {
            q: round(ordered[min(len(ordered) - 1, int(f * len(ordered)))], 1) if ordered else None
            for q, f in (("p50", 0.5), ("p99", 0.99))
        }
    return {"tasks": len(rows), **stages}


def task_factory(deals: list[Deal], run_id: str):
    """The n-th task: a JSON answer citing an order (PASS), or, one in FAIL_EVERY, none (FAIL)."""

    def make(n: int) -> tuple[str, EventPayload]:
        acceptance = deals[n % len(deals)].acceptance
        answer = f"order #{n} ships Monday" if n % FAIL_EVERY else "it ships Monday"
        output = json.dumps({"answer": answer, "note": "thanks"})
        task = completed(
            output,
            task_id=f"tsk-{run_id}-{n}",
            acceptance_id=acceptance.acceptance_id,
            pact_id=acceptance.pact_id,
            agent_id=acceptance.agent_id,
        )
        return f"acceptance-{acceptance.acceptance_id}", task

    return make


async def open_deals(rpc: str, directory: Path, run_id: str, tasks_each: int) -> tuple[list[Deal], Path, str]:
    """Fresh contracts, a funded evaluator key, and per acceptance a buyer whose pool escrows
    ``tasks_each`` tasks."""
    chain = await new_chain(rpc)
    evaluator = await funded_account(chain.w3)
    deployment_file = directory / "deployment.json"
    chain.deployment.save(deployment_file)
    document = pact_document(CLAUSES)
    deals = []
    now = await chain.now()
    for n in range(ACCEPTANCES):
        buyer = BuyerClient(chain.w3, await chain.party(), chain.deployment)
        provider = await chain.party()
        amount = tasks_each * PRICE
        await chain.mint(buyer.address, amount + ONE_USDC)
        acceptance_id = f"acc-e2e-{run_id}-{n}"
        acceptance = PactAccepted(
            acceptance_id=acceptance_id,
            pact_id=f"pct-e2e-{run_id}",
            pact_version=1,
            pact_hash=pact_hash(document),
            document=document,
            agent_id=f"agt-e2e-{run_id}-{n}",
            agent_model_family="openai",
            operator_id="op-e2e",
            provider_address=provider.address,
            buyer_id=f"buyer-e2e-{run_id}-{n}",
            buyer_address=buyer.address,
            escrow=AcceptedEscrow(mode="aggregate", price_per_task=PRICE, pool_size=amount),
            accepted_at=utc_now(),
            expires_at=utc_now() + timedelta(days=7),
        )
        opened = await buyer.open_pool(
            provider.address,
            evaluator.address,
            now + 7 * 24 * 3600,
            bytes.fromhex(acceptance.pact_hash),
            id32(acceptance_id),
            amount,
            PRICE,
        )
        deals.append(Deal(acceptance, buyer, opened.pool_id))
    return deals, deployment_file, "0x" + bytes(evaluator.key).hex()


@contextlib.asynccontextmanager
async def running_services(deployment_file: Path, signer_key: str, run_id: str) -> AsyncIterator[list]:
    """The evaluator and settlement in this process, each in a fresh schema (dropped after),
    under consumer groups of their own starting at the log's end, emitting as themselves."""
    kafka, dsn, rpc = endpoints.kafka_bootstrap(), endpoints.database_url(), endpoints.eth_rpc_url()
    for name, value in LOCAL_SETTLEMENT.items():
        os.environ.setdefault(name, value)
    common = {"database_url": dsn, "kafka_bootstrap": kafka, "eth_rpc_url": rpc, "log_level": "WARNING"}
    services: list[tuple[ServiceSpec, object]] = [
        (EVALUATOR, EvaluatorSettings(**common)),
        (
            SETTLEMENT,
            SettlementSettings(**common, deployment_file=deployment_file, settlement_signer_key=signer_key),
        ),
    ]
    async with contextlib.AsyncExitStack() as stack:
        running = []
        for spec, settings in services:
            name = f"{spec.name}-bench-{run_id}"
            for topic in spec.handlers.topics if spec.handlers else ():
                await start_group_at_end(kafka, name, TOPICS[topic])
            schema = f"bench_e2e_{spec.schema}_{run_id}"
            app = build_app(dataclasses.replace(spec, name=name, schema=schema, producer_name=spec.name), settings)
            stack.push_async_callback(drop_schema, schema)  # after the service has stopped
            quiet_faststream()  # its loggers exist once the broker does
            await stack.enter_async_context(app.router.lifespan_context(app))
            quiet_faststream()
            running.append(app.state.service)
        yield running


def quiet_faststream() -> None:
    """FastStream logs a line per message consumed: warnings and up only (on stderr, see main)."""
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("faststream")]:
        logging.getLogger(name).setLevel(logging.WARNING)


async def drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(endpoints.database_url())
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


async def progress(label: str, verdicts: harness.Recorder, settled: harness.Recorder, total: int) -> None:
    while True:
        await asyncio.sleep(3)
        say(f"{label}: {len(verdicts.finished)} verdicts, {len(settled.finished)} settled of {total} injected so far")


async def run() -> dict:
    baseline = harness.load_baseline()
    run_id = uuid.uuid4().hex[:8]
    # Enough escrow for the burst and an open loop at up to the burst's rate.
    tasks_each = (TASKS + int(TASKS / 2) + int(TASKS * OPEN_LOOP_S) + 200) // ACCEPTANCES + 1
    with tempfile.TemporaryDirectory() as directory:
        say(f"deploying contracts and opening {ACCEPTANCES} aggregate pools on anvil")
        deals, deployment_file, signer_key = await open_deals(
            endpoints.eth_rpc_url(), Path(directory), run_id, tasks_each
        )
        acceptances = {d.acceptance.acceptance_id for d in deals}
        async with running_services(deployment_file, signer_key, run_id) as (_, settlement):
            settings = settlement.settings
            async with (
                LoopInjector.open(f"bench_e2e_src_{run_id}") as injector,
                harness.KafkaWatcher.open((VERDICTS,), "VerdictIssued") as verdicts,
                contextlib.AsyncExitStack() as stack,
            ):
                settled = SettledWatcher(injector.correlation_of, acceptances)
                await settled.start()
                stack.push_async_callback(settled.stop)
                async with injector.pool.acquire() as conn, conn.transaction():
                    for deal in deals:
                        stream = f"acceptance-{deal.acceptance.acceptance_id}"
                        await outbox.emit(conn, "pact-registry", stream, deal.acceptance, occurred_at=utc_now())
                make = task_factory(deals, run_id)

                say(f"burst: {TASKS} tasks over {ACCEPTANCES} acceptances, until every one is in an EscrowSettled")
                burst_recorder = Tee(verdicts.recorder)
                settled.recorder = burst_recorder
                ticker = asyncio.create_task(progress("burst", verdicts.recorder, burst_recorder, TASKS))
                try:
                    burst = await harness.run_burst(injector, burst_recorder, make, count=TASKS, timeout_s=TIMEOUT_S)
                finally:
                    ticker.cancel()
                burst_ids = list(burst_recorder.started)
                verdicts_done_s = (
                    max(verdicts.recorder.finished[c] for c in burst_ids) - min(burst_recorder.started.values())
                ) / 1e9
                burst_batches = list(settled.batches)
                say(f"burst: {burst.events_per_s:.1f} tasks/s settled; all verdicts after {verdicts_done_s:.1f} s")

                rate = burst.events_per_s / 2
                say(f"open loop: {rate:.1f} tasks/s for {OPEN_LOOP_S} s, latency to VerdictIssued")
                settled.recorder = harness.Recorder()
                loop_recorder = Tee(settled.recorder)
                verdicts.recorder = loop_recorder
                expected = max(100, int(rate * OPEN_LOOP_S))  # as run_open_loop counts
                ticker = asyncio.create_task(progress("open loop", loop_recorder, settled.recorder, expected))
                lag = LoopLag()
                lag.start()
                try:
                    open_loop = await harness.run_open_loop(
                        injector,
                        loop_recorder,
                        make,
                        rate=rate,
                        seconds=OPEN_LOOP_S,
                        first_n=TASKS,
                        timeout_s=TIMEOUT_S,
                    )
                    loop_lag_ms = lag.stop()
                    loop_ids = list(settled.recorder.started)
                    say("open loop: waiting for its tasks to settle too")
                    await settled.recorder.wait_all(loop_ids, TIMEOUT_S)
                finally:
                    ticker.cancel()
                loop_settled_ms = harness.percentiles_ms(settled.recorder.latencies_ns(loop_ids))
                in_loop = set(loop_ids)
                stages = await open_loop_stages(
                    injector.pool,
                    injector.schema,
                    f"bench_e2e_{EVALUATOR.schema}_{run_id}",
                    [task for task, c in injector.correlation_of.items() if c in in_loop],
                )
        say("raw aiokafka round trip at the same rate")
        raw_at_rate = await kafka_baseline.round_trip(rate, OPEN_LOOP_S)

    ratio = harness.ratios(burst, open_loop, baseline, raw_at_rate)
    per_task = [b for b in settled.batches if b["cause"] != "batch"]
    sizes = [b["tasks"] for b in burst_batches]
    return {
        "benchmark": "e2e_loop",
        "setup": {
            "services": ["evaluator", "settlement"],
            "acceptances": ACCEPTANCES,
            "escrow": "aggregate",
            "clauses": [c["kind"] for c in CLAUSES],
            "fail_share": f"1/{FAIL_EVERY}",
            "settlement": {
                "confirmations": settings.settlement_confirmations,
                "batch_max_tasks": settings.settlement_batch_max_tasks,
                "batch_max_age_s": settings.settlement_batch_max_age_s,
                "poll_interval_s": settings.settlement_poll_interval_s,
            },
        },
        "throughput": {
            **burst.as_dict(),
            "measured": "first TaskCompleted outbox commit -> last task named by an EscrowSettled",
            "verdicts_all_issued_s": round(verdicts_done_s, 2),
        },
        "escrow_settled": {
            "emitted": "one per batch (cause=batch), naming every task of the batch; its correlation id is "
            "the transaction's, so tasks are matched by task_ids",
            "burst_events": len(burst_batches),
            "burst_tasks_per_event": sizes,
            "per_task_events": len(per_task),
            "any_carries_a_tasks_correlation": any(b["correlation_is_a_tasks"] for b in settled.batches),
        },
        "open_loop": {
            **open_loop.as_dict(),
            "measured": "TaskCompleted outbox commit -> VerdictIssued seen on the verdicts topic",
            "settled_latency_ms": loop_settled_ms,
            "event_loop_lag_ms": loop_lag_ms,
            "verdict_stages_ms": stages,
        },
        "raw_open_loop_at_same_rate": raw_at_rate,
        "baseline": {"events_per_s": baseline["events_per_s"], "open_loop": baseline["open_loop"]},
        "ratio_to_baseline": {
            **ratio,
            "open_loop_p99_vs_baseline_open_loop": round(
                open_loop.latency_ms["p99"] / baseline["open_loop"]["latency_ms"]["p99"], 2
            ),
        },
        "targets": {
            "throughput": {
                "measured": ratio["throughput"],
                "target": f">= {TARGETS['throughput']}",
                "met": ratio["throughput"] >= TARGETS["throughput"],
            },
            "open_loop_p99": {
                "measured": ratio["open_loop_p99"],
                "target": f"<= {TARGETS['open_loop_p99']}",
                "met": ratio["open_loop_p99"] <= TARGETS["open_loop_p99"],
            },
        },
        "finished_at": datetime.now(UTC).isoformat(),
    }


def main() -> None:
    # The services log to stdout; this bench's stdout is its one JSON object.
    with contextlib.redirect_stdout(sys.stderr):
        result = asyncio.run(run())
    for name, target in result["targets"].items():
        verdict = "MET" if target["met"] else "NOT MET"
        say(f"{name}: {target['measured']} (target {target['target']}): {verdict}")
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    (harness.RESULTS / "e2e_loop.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
