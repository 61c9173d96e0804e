"""Deterministic-only verdicts per second through the evaluator service, as a ratio to the raw
Kafka baseline measured in the same `make bench` (read from .local/bench/kafka_baseline.json).

Publishes PACTLINE_BENCH_VERDICTS tasks of 240 acceptances (a pact of deterministic clauses
only; the acceptances' streams spread the tasks over the topic's partitions) through an outbox
and relay. Then it starts the evaluator (its real handlers, consumer, schema and relay, each
instance a process of its own) on that backlog and times from its first transaction to the
last verdict committed. The tasks are on the log before the evaluator starts, so publishing
them does not share the evaluator's CPU time, as the registry's publishing would not.

Two figures: one instance, and PACTLINE_BENCH_EVALUATOR_REPLICAS instances (default 2) in one
consumer group sharing one schema, as a Kubernetes Deployment scales the service out. The
replicas' figure includes the rebalance that splits the partitions when the second one joins.
Each also gives the CPU time the instances spent per verdict (from the first verdict on),
which depends much less than the rate on what else the machine is running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from evaluator_testkit import DETERMINISTIC_CLAUSES, accepted, completed
from pactline_evaluator.app import SPEC
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import utc_now
from pactline_events.topics import ACCEPTANCES, IDENTITIES, JURY_DELIBERATIONS
from pactline_messaging import OutboxRelay, endpoints, idempotent_producer, open_pool, outbox
from pactline_service import build_app
from topic_reader import start_group_at_end

VERDICTS = int(os.environ.get("PACTLINE_BENCH_VERDICTS", "6000"))
REPLICAS = int(os.environ.get("PACTLINE_BENCH_EVALUATOR_REPLICAS", "2"))
ACCEPTANCE_COUNT = 240
POLL_S = 0.02
STARTUP_TIMEOUT_S = 120
RESULTS = Path(__file__).resolve().parents[1] / ".local" / "bench"
CLAUSES = DETERMINISTIC_CLAUSES


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def publish_backlog(bootstrap: str, dsn: str, run_id: str) -> None:
    """The acceptances and tasks, on the topic before any evaluator instance starts."""
    for topic in (ACCEPTANCES, JURY_DELIBERATIONS, IDENTITIES):
        await start_group_at_end(bootstrap, SPEC.name, topic)
    source = await open_pool(dsn, f"bench_src_{run_id}")
    producer = idempotent_producer(bootstrap, f"bench-{run_id}")
    await producer.start()
    try:
        pacts = [accepted(CLAUSES, acceptance_id=f"acc-bench-{run_id}-{a}") for a in range(ACCEPTANCE_COUNT)]
        async with source.acquire() as conn, conn.transaction():
            for pact in pacts:
                stream = f"acceptance-{pact.acceptance_id}"
                await outbox.emit(conn, "pact-registry", stream, pact, occurred_at=utc_now())
            for n in range(VERDICTS):
                acceptance_id = pacts[n % ACCEPTANCE_COUNT].acceptance_id
                output = json.dumps({"answer": f"order #{n} ships Monday", "note": "thanks"})
                task = completed(output, task_id=f"tsk-{run_id}-{n}", acceptance_id=acceptance_id)
                await outbox.emit(conn, "pact-registry", f"acceptance-{acceptance_id}", task, occurred_at=utc_now())
        await OutboxRelay(source, producer).drain()
        async with source.acquire() as conn:
            await conn.execute(f"DROP SCHEMA bench_src_{run_id} CASCADE")
    finally:
        await producer.stop()
        await source.close()


async def serve_instance(schema: str) -> None:
    """One evaluator instance on ``schema`` until SIGTERM (the bench's child process)."""
    settings = EvaluatorSettings(
        database_url=endpoints.database_url(), kafka_bootstrap=endpoints.kafka_bootstrap(), log_level="WARNING"
    )
    # As `serve` builds it for the service's own process.
    app = build_app(dataclasses.replace(SPEC, schema=schema), settings, freeze_after_startup=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with app.router.lifespan_context(app):
        await stop.wait()


def cpu_seconds(processes: list[subprocess.Popen]) -> float:
    """User and system CPU time the instances have used so far (Linux /proc), all cores."""
    ticks = 0
    for process in processes:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def start_instances(schema: str, count: int) -> list[subprocess.Popen]:
    # Our own interpreter and file, and a schema name we made: no untrusted input.
    return [subprocess.Popen([sys.executable, __file__, "--instance", schema]) for _ in range(count)]  # noqa: S603


async def stop_instances(instances: list[subprocess.Popen]) -> None:
    for process in instances:
        process.terminate()
    for process in instances:
        await asyncio.to_thread(process.wait, 60)


async def measure(instances: int) -> dict:
    bootstrap, dsn = endpoints.kafka_bootstrap(), endpoints.database_url()
    run_id = uuid.uuid4().hex[:8]
    schema = f"bench_eval_{run_id}"
    log(f"{instances} instance(s): publishing {VERDICTS} tasks")
    await publish_backlog(bootstrap, dsn, run_id)
    pool = await open_pool(dsn, "public")
    processes = start_instances(schema, instances)
    try:
        waited = 0.0
        while not await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.verdicts"):
            if any(p.poll() is not None for p in processes) or waited > STARTUP_TIMEOUT_S:
                raise SystemExit(f"an evaluator instance did not start (exit codes {[p.poll() for p in processes]})")
            await asyncio.sleep(POLL_S)
            waited += POLL_S
        polls = 0
        count_verdicts = f"SELECT count(*) FROM {schema}.verdicts"  # noqa: S608 (our own schema name)
        cpu_at_start: float | None = None
        counted_from = 0
        while (done := await pool.fetchval(count_verdicts)) < VERDICTS:
            if cpu_at_start is None and done:
                cpu_at_start, counted_from = cpu_seconds(processes), done
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"an evaluator instance stopped (exit codes {[p.poll() for p in processes]})")
            polls += 1
            if polls % 50 == 0:
                log(f"verdicts {done}/{VERDICTS}")
            await asyncio.sleep(POLL_S)
        finished = datetime.now(UTC)
        cpu = cpu_seconds(processes) - (cpu_at_start or 0.0)
        cpu_verdicts = VERDICTS - counted_from
        # now() in PostgreSQL is the start of the transaction that received the task.
        first = await pool.fetchval(f"SELECT min(received_at) FROM {schema}.evaluations")  # noqa: S608
        elapsed = (finished - first).total_seconds()
    finally:
        await stop_instances(processes)
        await pool.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await pool.close()
    return {
        "instances": instances,
        "verdicts": VERDICTS,
        "verdicts_per_s": round(VERDICTS / elapsed, 1),
        "cpu_ms_per_verdict": round(cpu * 1000 / max(1, cpu_verdicts), 3),
    }


def main() -> None:
    if sys.argv[1:2] == ["--instance"]:
        asyncio.run(serve_instance(sys.argv[2]))
        return
    baseline_file = RESULTS / "kafka_baseline.json"
    if not baseline_file.exists():
        sys.exit("run bench/kafka_baseline.py first (make bench does)")
    baseline = json.loads(baseline_file.read_text())["events_per_s"]
    one = asyncio.run(measure(1))
    replicas = asyncio.run(measure(REPLICAS))
    report = {
        "bench": "evaluator_verdicts (deterministic clauses only)",
        **one,
        "baseline_events_per_s": baseline,
        "ratio_to_baseline": round(one["verdicts_per_s"] / baseline, 3),
        "replicas": {**replicas, "ratio_to_baseline": round(replicas["verdicts_per_s"] / baseline, 3)},
    }
    (RESULTS / "evaluator_verdicts.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
