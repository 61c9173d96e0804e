"""What the gateway adds to a call, as ratios to a direct call measured in the same run.

The SIMULATED reliable agent and the gateway each run in a process of their own on this
machine (the gateway on the real Kafka and PostgreSQL, recording every call it forwards).
The bench sends the same non-streamed chat completion alternately straight to the agent and
through the gateway, one at a time, and reports p50/p99 of both and the p99 the gateway adds
(target: at most 5 ms); then it sends as many as it can with a fixed concurrency, first
directly and then through the gateway, and reports the throughput ratio.

PACTLINE_BENCH_GATEWAY_CALLS (default 1000) sets the sequential calls per path,
PACTLINE_BENCH_GATEWAY_CONCURRENCY (default 16) the parallel callers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import TopicPartition

from pactline_events import (
    AcceptedEscrow,
    AgentEndpointRegistered,
    ApiKeyIssued,
    EventPayload,
    PactAccepted,
    PendingEvent,
    new_event_id,
    topic_for,
    utc_now,
)
from pactline_events.topics import ACCEPTANCES, AGENTS, IDENTITIES
from pactline_messaging import endpoints, event_keys, idempotent_producer, kafka_consumer
from pactline_pacts import pact_hash, parse_pact

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / ".local" / "bench"
CALLS = int(os.environ.get("PACTLINE_BENCH_GATEWAY_CALLS", "1000"))
CONCURRENCY = int(os.environ.get("PACTLINE_BENCH_GATEWAY_CONCURRENCY", "16"))
WARMUP = 100
TARGET_ADDED_P99_MS = 5.0
PEPPER = "bench-pepper"
BODY = {"model": "bench", "messages": [{"role": "user", "content": "Where is my order 1234?"}]}
# The gateway runs under its own name and schema, so the bench never shares a consumer group
# or tables with a gateway `make services` started.
LAUNCH = (
    "import dataclasses, sys; from pactline_gateway.app import SPEC; from pactline_service import serve; "
    "serve(dataclasses.replace(SPEC, name=sys.argv[1], schema=sys.argv[2]))"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def process(args: list[str], env: dict[str, str], ready_url: str) -> AsyncIterator[None]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / f"gateway_overhead.{'agents' if 'simulated_agents' in args[1] else 'gateway'}.log"
    log = log_path.open("wb")  # a pipe nobody reads would fill up and stall the process
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, env={**os.environ, **env}, stdout=log, stderr=log
    )
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(600):
                if proc.returncode is not None:
                    raise RuntimeError(f"{args[1]} exited: {log_path.read_text()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(ready_url)).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError(f"{args[1]} never became ready at {ready_url}")
        yield
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
        log.close()


async def start_group_at_end(group: str) -> None:
    """The bench's gateway reads only what the bench publishes, not the whole shared log."""
    consumer = kafka_consumer(bootstrap=endpoints.kafka_bootstrap(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(t.name, p) for t in (IDENTITIES, ACCEPTANCES, AGENTS) for p in range(t.partitions)]
        consumer.assign(partitions)
        await consumer.commit(dict((await consumer.end_offsets(partitions)).items()))
    finally:
        await consumer.stop()


async def publish(producer, stream_id: str, payload: EventPayload) -> None:
    pending = PendingEvent(
        event_id=new_event_id(),
        occurred_at=utc_now(),
        stream_id=stream_id,
        correlation_id=uuid.uuid4(),
        payload=payload,
    )
    envelope = pending.seal(producer="pact-registry", stream_seq=1, prev_hash="0" * 64)
    # Signed with the local registry key (`make keys`), as the registry would: the gateway
    # dead-letters unsigned events.
    key = event_keys.signing_key("pact-registry")
    if key is None:
        raise RuntimeError("no local signing key for pact-registry: run `make keys` (make bench does)")
    _, wire = key.sign(envelope)
    await producer.send_and_wait(topic_for(payload.event_type), wire, key=stream_id.encode())


async def seed(agent_url: str, schema: str) -> tuple[str, str]:
    """A buyer key, an agent endpoint and an acceptance, published as the registry would."""
    run = uuid.uuid4().hex[:12]
    key_id = secrets.token_hex(8)
    key = f"pl_live_{key_id}_{secrets.token_urlsafe(32)}"
    digest = hmac.new(PEPPER.encode(), key.encode(), hashlib.sha256).hexdigest()
    buyer, agent, acceptance = f"prn-bench-{run}", f"agt-bench-{run}", f"acc-bench-{run}"
    document = parse_pact((ROOT / "examples" / "pacts" / "customer-support.yaml").read_bytes(), "application/yaml")
    calls = 4 * (CALLS + WARMUP)
    now = utc_now()
    producer = idempotent_producer(endpoints.kafka_bootstrap(), "bench-gateway")
    await producer.start()
    try:
        issued = ApiKeyIssued(key_id=key_id, principal_id=buyer, role="buyer", scopes=("tasks:write",), key_hmac=digest)
        await publish(producer, f"principal-{buyer}", issued)
        await publish(
            producer, f"agent-{agent}", AgentEndpointRegistered(agent_id=agent, operator_id="op", base_url=agent_url)
        )
        escrow = AcceptedEscrow(mode="aggregate", price_per_task=50_000, pool_size=50_000 * calls)
        accepted = PactAccepted(
            acceptance_id=acceptance,
            pact_id="pct-bench",
            pact_version=1,
            pact_hash=pact_hash(document),
            document=document,
            agent_id=agent,
            agent_model_family="other",
            operator_id="op",
            provider_address="0x" + "11" * 20,
            buyer_id=buyer,
            buyer_address="0x" + "22" * 20,
            escrow=escrow,
            accepted_at=now,
            expires_at=now + timedelta(days=1),
        )
        await publish(producer, f"acceptance-{acceptance}", accepted)
    finally:
        await producer.stop()
    conn = await asyncpg.connect(endpoints.database_url())
    try:
        for _ in range(600):
            known = await conn.fetchval(
                f"SELECT (SELECT count(*) FROM {schema}.api_keys WHERE key_id = $1) "  # noqa: S608 - our schema
                f"+ (SELECT count(*) FROM {schema}.acceptances WHERE acceptance_id = $2) "
                f"+ (SELECT count(*) FROM {schema}.agent_endpoints WHERE agent_id = $3)",
                key_id,
                acceptance,
                agent,
            )
            if known == 3:
                return key, acceptance
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    raise RuntimeError("the gateway did not learn the bench's key, endpoint and acceptance from Kafka")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 3),
        "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 3),
    }


async def timed(send: Callable[[], Awaitable[httpx.Response]]) -> float:
    started = time.perf_counter()
    response = await send()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"call failed: {response.status_code} {response.text[:300]}")
    return elapsed


async def throughput(send: Callable[[], Awaitable[httpx.Response]], total: int) -> float:
    remaining = total

    async def caller() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await timed(send)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    return total / (time.perf_counter() - started)


async def run() -> dict:
    agents_port, gateway_port = free_port(), free_port()
    name, schema = f"gateway-bench-{uuid.uuid4().hex[:6]}", f"bench_gw_{uuid.uuid4().hex[:8]}"
    agent_base = f"http://127.0.0.1:{agents_port}/agents/reliable/v1"
    env = {
        "PACTLINE_HTTP_PORT": str(gateway_port),
        "PACTLINE_REGISTRY_KEY_PEPPER": PEPPER,
        "PACTLINE_AGENT_ENDPOINTS_ALLOW_PRIVATE": "127.0.0.1/32",
        "PACTLINE_AGENT_ENDPOINTS_ALLOW_HTTP": "true",
        "PACTLINE_LOG_LEVEL": "WARNING",
        "PACTLINE_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap(),
        "PACTLINE_DATABASE_URL": endpoints.database_url(),
    }
    agents = ["-m", "pactline_gateway.simulated_agents", "--port", str(agents_port)]
    await start_group_at_end(name)
    try:
        async with (
            process(agents, {}, f"http://127.0.0.1:{agents_port}/ready"),
            process(["-c", LAUNCH, name, schema], env, f"http://127.0.0.1:{gateway_port}/ready"),
        ):
            key, acceptance = await seed(agent_base, schema)
            limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
            async with httpx.AsyncClient(timeout=30, limits=limits) as http:
                direct_url = f"{agent_base}/chat/completions"
                gateway_url = f"http://127.0.0.1:{gateway_port}/v1/acceptances/{acceptance}/chat/completions"
                headers = {"Authorization": f"Bearer {key}"}

                def direct() -> Awaitable[httpx.Response]:
                    return http.post(direct_url, json=BODY)

                def through() -> Awaitable[httpx.Response]:
                    return http.post(gateway_url, json=BODY, headers=headers)

                for _ in range(WARMUP):
                    await timed(direct)
                    await timed(through)
                direct_ms, gateway_ms = [], []
                for n in range(CALLS):
                    # Alternating (and swapping which goes first) gives both paths the same machine.
                    first, second = (direct, through) if n % 2 == 0 else (through, direct)
                    a, b = await timed(first), await timed(second)
                    direct_ms.append(a if first is direct else b)
                    gateway_ms.append(b if first is direct else a)
                    if (n + 1) % (CALLS // 5 or 1) == 0:
                        print(f"sequential {n + 1}/{CALLS}", file=sys.stderr)
                direct_rps = await throughput(direct, CALLS)
                gateway_rps = await throughput(through, CALLS)
    finally:
        conn = await asyncpg.connect(endpoints.database_url())
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()
    direct_p, gateway_p = percentiles(direct_ms), percentiles(gateway_ms)
    added_p99 = round(gateway_p["p99"] - direct_p["p99"], 3)
    return {
        "benchmark": "gateway_overhead",
        "calls": CALLS,
        "concurrency": CONCURRENCY,
        "direct_ms": direct_p,
        "gateway_ms": gateway_p,
        "added_ms": {"p50": round(gateway_p["p50"] - direct_p["p50"], 3), "p99": added_p99},
        "throughput_per_s": {"direct": round(direct_rps, 1), "gateway": round(gateway_rps, 1)},
        "ratio_to_direct": {
            "latency_p50": round(gateway_p["p50"] / direct_p["p50"], 2),
            "latency_p99": round(gateway_p["p99"] / direct_p["p99"], 2),
            "throughput": round(gateway_rps / direct_rps, 3),
        },
        "target_added_p99_ms": TARGET_ADDED_P99_MS,
        "within_target": added_p99 <= TARGET_ADDED_P99_MS,
    }


def main() -> None:
    report = asyncio.run(run())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "gateway_overhead.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
