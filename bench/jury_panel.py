"""The jury's panel: wall time against its slowest answering judge, and cost per verdict.

Starts the simulated judge server as its own process, gives each judge a simulated latency
(40 to 400 ms), and runs panels one after another through the real litellm path over HTTP.
Since the judges are called concurrently, a panel should take about as long as its slowest
judge, never the sum: the target is wall / slowest <= 1.1. A second scenario replaces the
slowest judge by one that never answers: it is cut at its 600 ms timeout until its provider's
circuit breaker opens, then fails at once (judgment_flags counts both). Cost per verdict uses
the judges' configured prices (micro-USD, simulated usage). Prints one JSON object, also saved
to .local/bench/jury_panel.json.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx

from pactline_events import JuryRequested
from pactline_jury.deliberation import Jury
from pactline_jury.panel import JudgeConfig, Panel, PanelPolicy

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / ".local" / "bench"
PANELS = int(os.environ.get("PACTLINE_BENCH_PANELS", "40"))
TARGET = Decimal("1.1")
LATENCIES_MS = (40, 90, 150, 250, 400)
FAMILIES = ("anthropic", "google", "meta", "mistral", "other")
OUTPUT = "Your order #1234 left the warehouse this morning; the tracking link is in your inbox."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def judge(
    url: str, n: int, delay_ms: int, family: str, *, behaviour: str = "honest", timeout_ms: int = 5000
) -> JudgeConfig:
    return JudgeConfig(
        judge_id=f"bench-{n}",
        model=f"openai/{behaviour}.d{delay_ms}.b{n}",
        family=family,
        api_base=url,
        timeout_ms=timeout_ms,
        input_price=150_000,
        output_price=600_000,
        json_mode="on",
        simulated=True,
    )


def request(n: int) -> JuryRequested:
    return JuryRequested(
        request_id=f"bench-{n}",
        task_id=f"bench-{n}",
        acceptance_id="bench",
        agent_model_family="openai",
        rubric=({"clause_id": "helpful", "criterion": "The reply resolves the question.", "pass_threshold": "0.7"},),
        input="Where is my order #1234?",
        output=OUTPUT,
        evidence_digest=hashlib.sha256(OUTPUT.encode()).hexdigest(),
    )


async def run(panel: Panel) -> dict:
    jury = Jury(panel)
    await jury.deliberate(request(-1))  # warm-up: litellm builds its clients on first use
    ratios, walls, slowest, costs, flags = [], [], [], [], Counter()
    for n in range(PANELS):
        d = await jury.deliberate(request(n))
        answered = [r.latency_ms for r in d.records]  # every judge, the cut one at its deadline
        walls.append(d.wall_ms)
        slowest.append(max(answered))
        ratios.append(Decimal(d.wall_ms) / Decimal(max(max(answered), 1)))
        costs.append(d.event.cost)
        flags.update(f.value for r in d.records for f in r.flags)
    return {
        "panels": PANELS,
        "judges": len(panel.judges),
        "wall_ms_median": statistics.median(walls),
        "slowest_judge_ms_median": statistics.median(slowest),
        "wall_over_slowest_median": str(statistics.median(ratios).quantize(Decimal("0.001"))),
        "wall_over_slowest_p90": str(sorted(ratios)[int(len(ratios) * 0.9) - 1].quantize(Decimal("0.001"))),
        "sum_of_judges_ms_would_be": sum(LATENCIES_MS),
        "cost_micro_usd_per_verdict": str((Decimal(sum(costs)) / len(costs)).quantize(Decimal("0.01"))),
        "judgment_flags": dict(flags),
    }


async def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "key.json"
        digest = hashlib.sha256(OUTPUT.encode()).hexdigest()
        key.write_text(json.dumps({"answers": {digest: {"verdict": "PASS", "score": "0.9"}}}))
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pactline_jury.judge_server",
            "--port",
            str(port),
            "--answer-key",
            str(key),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            async with httpx.AsyncClient() as http:
                while True:
                    try:
                        (await http.get(f"http://127.0.0.1:{port}/stats", timeout=1)).raise_for_status()
                        break
                    except httpx.HTTPError:
                        if time.monotonic() > deadline or server.returncode is not None:
                            raise SystemExit("the simulated judge server did not start") from None
                        await asyncio.sleep(0.2)
            policy = PanelPolicy(quorum=3, max_concurrent_calls=32)
            answering = Panel(
                version="bench",
                policy=policy,
                judges=tuple(judge(url, n, d, f) for n, (d, f) in enumerate(zip(LATENCIES_MS, FAMILIES, strict=True))),
            )
            with_cut = Panel(
                version="bench-cut",
                policy=policy,
                judges=(
                    *answering.judges[:4],
                    judge(url, 9, 30_000, "other", behaviour="slow", timeout_ms=600),
                ),
            )
            report = {
                "benchmark": "jury_panel",
                "simulated_judges": True,
                "latencies_ms": list(LATENCIES_MS),
                "all_answer": await run(answering),
                "one_never_answers": await run(with_cut),
                "target_wall_over_slowest": str(TARGET),
            }
            report["target_met"] = all(
                Decimal(report[k]["wall_over_slowest_median"]) <= TARGET for k in ("all_answer", "one_never_answers")
            )
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), 15)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "jury_panel.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main())
