"""Each of the six services starts on the shared runtime, answers /health, /ready and /metrics
against the real broker and database, shuts down gracefully on SIGTERM, and writes only JSON
log lines when asked to.

They run as `python -m` would run them in production, so in their own default schemas: those
go into a database of this test's own, dropped afterwards. In the shared local database they
would be the schemas `make services` and `make demo` run in, left holding what the services
folded from the test suite's events under the suite's throwaway keys.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from pactline_events import EVENT_TOPICS
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra

SERVICES = ["registry", "evaluator", "jury", "scoring", "settlement", "gateway"]


@pytest.fixture
async def own_database(database_url: str) -> AsyncIterator[str]:
    """A fresh database on the shared server (same role), dropped afterwards."""
    name = f"pactline_ready_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _groups_at_the_end(kafka: str) -> None:
    """What is asked here is start-up, readiness and a graceful stop, not catching up with the
    shared log: each service's consumer group starts at the log's end (as the demo's test does)."""
    import importlib

    topics = {spec.name: spec for spec in EVENT_TOPICS}
    for name in SERVICES:
        spec = importlib.import_module(f"pactline_{name}.app").SPEC
        for topic in spec.handlers.topics if spec.handlers else ():
            await start_group_at_end(kafka, spec.name, topics[topic])


async def test_all_six_services_become_ready_and_stop_gracefully(kafka_topics, own_database):
    procs = {}
    ports = {name: free_port() for name in SERVICES}
    await _groups_at_the_end(kafka_topics)
    for name in SERVICES:
        env = {
            **os.environ,
            "PACTLINE_KAFKA_BOOTSTRAP": kafka_topics,
            "PACTLINE_DATABASE_URL": own_database,
            "PACTLINE_HTTP_PORT": str(ports[name]),
            "PACTLINE_LOG_FORMAT": "json",
        }
        procs[name] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"pactline_{name}",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    last_answer: dict[str, str] = {}
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for name in SERVICES:
                base = f"http://127.0.0.1:{ports[name]}"

                async def ready(base: str = base, name: str = name) -> dict | None:
                    if procs[name].returncode is not None:
                        out = await procs[name].stdout.read()
                        raise AssertionError(f"{name} exited: {out.decode()[-3000:]}")
                    try:
                        response = await http.get(f"{base}/ready")
                    except httpx.TransportError as exc:
                        last_answer[name] = repr(exc)
                        return None
                    last_answer[name] = f"{response.status_code} {response.text}"
                    return response.json() if response.status_code == 200 else None

                try:
                    body = await wait_for(ready, timeout=60, what=f"{name} /ready")
                except AssertionError as exc:
                    raise AssertionError(f"{exc}; its last answer: {last_answer.get(name)}") from None
                assert body["checks"] == {"database": "ok", "broker": "ok"}
                assert (await http.get(f"{base}/health")).json() == {"status": "ok"}
                metrics = await http.get(f"{base}/metrics")
                assert "pactline_http_requests_total" in metrics.text
                assert metrics.headers["content-type"].startswith("text/plain")
    finally:
        for proc in procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        codes = {name: await asyncio.wait_for(proc.wait(), 30) for name, proc in procs.items()}
    # uvicorn re-raises the signal after its graceful shutdown, so -SIGTERM is the clean code.
    assert codes == dict.fromkeys(SERVICES, -signal.SIGTERM)
    for name, proc in procs.items():
        log_lines = (await proc.stdout.read()).decode().splitlines()
        # PACTLINE_LOG_FORMAT=json holds for every line, the broker library's included.
        not_json = [line for line in log_lines if not _is_json_object(line)]
        assert not_json == [], (name, not_json[:3])
        assert any('"message": "' + _spec_name(name) + ' stopped cleanly"' in line for line in log_lines), name


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _spec_name(module: str) -> str:
    return "pact-registry" if module == "registry" else module
