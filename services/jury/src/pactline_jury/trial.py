"""What the operator tools run: one panel on one output (`pactline jury try`), and a calibration
that benches weak judges (`pactline jury calibrate`). Outside Kafka; same panel, prompt, reader
and aggregation as the service."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from pactline_events import JuryRequested, utc_now
from pactline_events.types import ModelFamily
from pactline_messaging import open_pool

from . import store
from .calibration import CalibrationItem, CalibrationReport, answer_key_json, calibrate
from .deliberation import Deliberation, Jury
from .judge_server import AnswerKey, running_in_thread
from .panel import Panel
from .settings import load_panel

MIGRATIONS = Path(__file__).parent / "migrations"


@contextlib.contextmanager
def simulated_judges(panel_file: Path, key: AnswerKey | None) -> Iterator[Panel]:
    """The panel; with ``key``, its simulated judges are pointed at a private judge server
    answering from that key (through each judge's api_base_env variable)."""
    if key is None:
        yield load_panel(panel_file)
        return
    with running_in_thread(key) as url:
        panel = load_panel(panel_file)
        names = {j.api_base_env for j in panel.judges if j.simulated and j.api_base_env}
        saved = {n: os.environ.get(n) for n in names}
        os.environ.update({n: url for n in names})
        try:
            yield load_panel(panel_file)
        finally:
            for n, value in saved.items():
                if value is None:
                    os.environ.pop(n, None)
                else:
                    os.environ[n] = value


def trial_request(*, rubric: str, output: str, input_text: str, threshold: str, family: ModelFamily) -> JuryRequested:
    return JuryRequested(
        request_id="try",
        task_id="try",
        acceptance_id="try",
        agent_model_family=family,
        rubric=({"clause_id": "rubric", "criterion": rubric, "pass_threshold": threshold},),
        input=input_text,
        output=output,
        evidence_digest=hashlib.sha256(output.encode()).hexdigest(),
    )


def deliberation_json(d: Deliberation) -> dict[str, Any]:
    """The event, plus what the operator checks a panel with: each vote's reason and validity."""
    body = d.event.model_dump(mode="json")
    body["judges"] = [
        {
            "judge_id": r.judge.judge_id,
            "model": r.judge.model,
            "family": r.judge.family.value,
            "vote": r.vote.verdict.value if r.vote else None,
            "valid": r.vote is not None,
            "flags": [f.value for f in r.flags],
            "reason": r.vote.reason if r.vote else None,
            "latency_ms": r.latency_ms,
            "cost_micro_usd": r.cost,
            "simulated": r.simulated,
        }
        for r in d.records
    ]
    body["wall_ms"] = d.wall_ms
    return body


async def run_trial(panel: Panel, request: JuryRequested) -> Deliberation:
    return await Jury(panel).deliberate(request)


async def record_calibration(database_url: str, schema: str, panel: Panel, report: CalibrationReport) -> None:
    pool = await open_pool(database_url, schema, MIGRATIONS, max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            now = utc_now()
            for judge in report.judges:
                await store.insert_calibration(
                    conn,
                    judge_id=judge.rater,
                    model=judge.model,
                    set_digest=report.set_digest,
                    items=report.items,
                    accuracy=str(judge.accuracy),
                    kappa=str(judge.kappa),
                    min_kappa=str(report.min_kappa),
                    benched=judge.benched,
                    simulated=report.simulated,
                    calibrated_at=now,
                )
    finally:
        await pool.close()


async def run_calibration(
    panel: Panel, items: tuple[CalibrationItem, ...], *, concurrency: int, progress: Callable[[int], None]
) -> CalibrationReport:
    return await calibrate(panel, items, concurrency=concurrency, progress=progress)


def calibration_key(items: tuple[CalibrationItem, ...]) -> AnswerKey:
    return AnswerKey.from_json(answer_key_json(items))


def load_answer_key(path: Path) -> AnswerKey:
    return AnswerKey.from_json(json.loads(path.read_text(encoding="utf-8")))


def decimal_threshold(text: str) -> str:
    value = Decimal(text)
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError("the threshold is a score between 0 and 1")
    return format(value, "f")
