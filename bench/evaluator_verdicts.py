"""Deterministic-only verdicts per second through the evaluator service, as a ratio to the raw
Kafka baseline measured in the same `make bench` (read from .local/bench/kafka_baseline.json).

Publishes one acceptance (a pact of deterministic clauses only) and PACTLINE_BENCH_VERDICTS
tasks through an outbox and relay, then starts the evaluator (its real handlers, consumer,
schema, relay) on that backlog and times from its first transaction to the last verdict
committed. The tasks are on the log before the evaluator starts so that publishing them does
not share the evaluator's process, as the registry's publishing would not.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from evaluator_testkit import accepted, completed, deterministic
from pactline_evaluator.app import SPEC
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import utc_now
from pactline_events.topics import ACCEPTANCES, JURY_DELIBERATIONS
from pactline_messaging import OutboxRelay, endpoints, idempotent_producer, open_pool, outbox
from pactline_service import build_app
from topic_reader import start_group_at_end

VERDICTS = int(os.environ.get("PACTLINE_BENCH_VERDICTS", "5000"))
POLL_S = 0.02
RESULTS = Path(__file__).resolve().parents[1] / ".local" / "bench"
CLAUSES = [
    deterministic("schema", "json_schema", 20, schema={"type": "object", "required": ["answer"]}),
    deterministic("cites", "regex_required", 20, pattern="#[0-9]+"),
    deterministic("polite", "not_contains", 10, severity="should", values=["idiot"]),
    deterministic("fast", "max_latency_ms", 10, severity="should", limit_ms=2000),
    deterministic("short", "length_bounds", 10, severity="should", max=4000),
    deterministic("no-pii", "no_pii", 30),
]


async def run() -> dict:
    bootstrap, dsn = endpoints.kafka_bootstrap(), endpoints.database_url()
    run_id = uuid.uuid4().hex[:8]
    for topic in (ACCEPTANCES, JURY_DELIBERATIONS):
        await start_group_at_end(bootstrap, SPEC.name, topic)
    source = await open_pool(dsn, f"bench_src_{run_id}")
    producer = idempotent_producer(bootstrap, f"bench-{run_id}")
    await producer.start()
    relay = OutboxRelay(source, producer)
    pact = accepted(CLAUSES, acceptance_id=f"acc-bench-{run_id}")
    stream = f"acceptance-{pact.acceptance_id}"
    settings = EvaluatorSettings(database_url=dsn, kafka_bootstrap=bootstrap, log_level="WARNING")
    async with source.acquire() as conn, conn.transaction():
        await outbox.emit(conn, "pact-registry", stream, pact, occurred_at=utc_now())
        for n in range(VERDICTS):
            output = json.dumps({"answer": f"order #{n} ships Monday", "note": "thanks"})
            task = completed(output, task_id=f"tsk-{run_id}-{n}", acceptance_id=pact.acceptance_id)
            await outbox.emit(conn, "pact-registry", stream, task, occurred_at=utc_now())
    while await relay.publish_pending():
        pass
    app = build_app(dataclasses.replace(SPEC, schema=f"bench_eval_{run_id}"), settings)
    async with app.router.lifespan_context(app):
        pool = app.state.service.pool
        polls = 0
        while (done := await pool.fetchval("SELECT count(*) FROM verdicts")) < VERDICTS:
            polls += 1
            if polls % 25 == 0:
                print(f"verdicts {done}/{VERDICTS}", file=sys.stderr)
            await asyncio.sleep(POLL_S)
        finished = datetime.now(UTC)
        # now() in PostgreSQL is the start of the transaction that received the task.
        first = await pool.fetchval("SELECT min(received_at) FROM evaluations")
        elapsed = (finished - first).total_seconds()
    await producer.stop()
    async with source.acquire() as conn:
        await conn.execute(f"DROP SCHEMA bench_src_{run_id} CASCADE; DROP SCHEMA bench_eval_{run_id} CASCADE")
    await source.close()
    return {"verdicts": VERDICTS, "verdicts_per_s": round(VERDICTS / elapsed, 1)}


def main() -> None:
    baseline_file = RESULTS / "kafka_baseline.json"
    if not baseline_file.exists():
        sys.exit("run bench/kafka_baseline.py first (make bench does)")
    baseline = json.loads(baseline_file.read_text())
    result = asyncio.run(run())
    report = {
        "bench": "evaluator_verdicts (deterministic clauses only)",
        **result,
        "baseline_events_per_s": baseline["events_per_s"],
        "ratio_to_baseline": round(result["verdicts_per_s"] / baseline["events_per_s"], 3),
    }
    (RESULTS / "evaluator_verdicts.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
