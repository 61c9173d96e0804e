"""Calibration: every configured judge, and the panel, against the labelled set in the repo.

The set (services/jury/calibration/*.yaml) holds rubric clauses, agent outputs and the correct
verdict, graded easy, borderline or adversarial. Each item is judged once by every judge with
the production prompt and reply reader; the panel's outcome is aggregated from the same
replies. A judge whose kappa is under the policy's min_kappa is benched until a later
calibration of the same model clears it (store.benched_judges).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pactline_events import JuryRequested, sha256_hex
from pactline_events.types import DecimalStr, Identifier, ModelFamily, Outcome

from .agreement_stats import NONE, accuracy, cohen_kappa
from .domain import JudgmentRecord, Seating, deliberate, record_judgment
from .judging import JudgeCaller
from .panel import Panel
from .prompt import build_messages, prompt_hash
from .screen import screen

CALIBRATION_SET = Path(__file__).resolve().parents[2] / "calibration"
Difficulty = Literal["easy", "borderline", "adversarial"]


class CalibrationItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    difficulty: Difficulty
    criterion: str = Field(min_length=1, max_length=4000)
    pass_threshold: DecimalStr
    input: str
    output: str
    verdict: Literal["PASS", "FAIL"]
    note: str = ""

    def as_request(self) -> JuryRequested:
        return JuryRequested(
            request_id=f"calibration-{self.id}",
            task_id=f"calibration-{self.id}",
            acceptance_id="calibration",
            agent_model_family=ModelFamily.OTHER,
            rubric=({"clause_id": "calibration", "criterion": self.criterion, "pass_threshold": self.pass_threshold},),
            input=self.input,
            output=self.output,
            evidence_digest=hashlib.sha256(self.output.encode()).hexdigest(),
        )


class CalibrationSetInvalid(ValueError):
    pass


def load_set(directory: Path = CALIBRATION_SET) -> tuple[CalibrationItem, ...]:
    """Every *.yaml file: a rubric (criterion, pass_threshold) and its items."""
    items: list[CalibrationItem] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for raw in data["items"]:
            items.append(CalibrationItem(criterion=data["criterion"], pass_threshold=data["pass_threshold"], **raw))
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise CalibrationSetInvalid("item ids must be unique")
    outputs = [i.output for i in items]
    if len(set(outputs)) != len(outputs):
        raise CalibrationSetInvalid("outputs must be unique (the answer key is keyed by the output's hash)")
    return tuple(items)


def set_digest(items: tuple[CalibrationItem, ...]) -> str:
    return sha256_hex([i.model_dump(mode="json") for i in items])


def answer_key_json(items: tuple[CalibrationItem, ...]) -> dict:
    """The labels as a simulated judge server's answer key."""
    return {
        "answers": {
            hashlib.sha256(i.output.encode()).hexdigest(): {
                "verdict": i.verdict,
                "score": "1" if i.verdict == "PASS" else "0",
            }
            for i in items
        }
    }


@dataclass(frozen=True)
class RaterReport:
    rater: str
    model: str
    accuracy: Decimal
    kappa: Decimal
    invalid: int
    by_difficulty: dict[str, Decimal]  # accuracy per difficulty
    benched: bool


@dataclass(frozen=True)
class CalibrationReport:
    set_digest: str
    items: int
    min_kappa: Decimal
    judges: tuple[RaterReport, ...]
    panel: RaterReport
    simulated: bool

    def as_json(self) -> dict:
        def rater(r: RaterReport) -> dict:
            return {
                "rater": r.rater,
                "model": r.model,
                "accuracy": str(r.accuracy),
                "kappa": str(r.kappa),
                "invalid": r.invalid,
                "accuracy_by_difficulty": {k: str(v) for k, v in r.by_difficulty.items()},
                "benched": r.benched,
            }

        return {
            "set_digest": self.set_digest,
            "items": self.items,
            "min_kappa": str(self.min_kappa),
            "simulated": self.simulated,
            "judges": [rater(j) for j in self.judges],
            "panel": rater(self.panel),
        }


def _report(
    name: str, model: str, items: tuple[CalibrationItem, ...], ratings: list[str], min_kappa: Decimal | None
) -> RaterReport:
    labels = [i.verdict for i in items]
    by_difficulty = {}
    for level in ("easy", "borderline", "adversarial"):
        picked = [(i.verdict, r) for i, r in zip(items, ratings, strict=True) if i.difficulty == level]
        if picked:
            by_difficulty[level] = accuracy([a for a, _ in picked], [b for _, b in picked])
    kappa = cohen_kappa(labels, ratings)
    return RaterReport(
        rater=name,
        model=model,
        accuracy=accuracy(labels, ratings),
        kappa=kappa,
        invalid=sum(r not in ("PASS", "FAIL") for r in ratings),
        by_difficulty=by_difficulty,
        benched=min_kappa is not None and kappa < min_kappa,
    )


async def calibrate(
    panel: Panel,
    items: tuple[CalibrationItem, ...],
    *,
    caller: JudgeCaller | None = None,
    concurrency: int = 8,
    progress: Callable[[int], None] = lambda n: None,
) -> CalibrationReport:
    caller = caller or JudgeCaller(panel.policy)
    seating = Seating(panel.judges, ())
    gate = asyncio.Semaphore(concurrency)

    async def judge_item(item: CalibrationItem) -> tuple[list[JudgmentRecord], Outcome]:
        async with gate:
            request = item.as_request()
            fence, canary = "calibration" + hashlib.sha256(item.id.encode()).hexdigest()[:16], f"CANARY-{item.id}"
            findings = screen(request.output)
            messages = build_messages(request, request.rubric[0], fence=fence, canary=canary)
            calls = await asyncio.gather(*(caller.call(j, messages) for j in panel.judges))
            records = [
                record_judgment(
                    j,
                    Decimal(item.pass_threshold),
                    "calibration",
                    prompt_hash(messages),
                    c,
                    canary=canary,
                    output=item.output,
                    planted=[f.matched for f in findings],
                )
                for j, c in zip(panel.judges, calls, strict=True)
            ]
            event = deliberate(
                request, panel=panel, seating=seating, records=records, findings=findings, fence=fence, canary=canary
            )
            progress(1)
            return records, event.results[0].outcome

    results = await asyncio.gather(*(judge_item(i) for i in items))
    min_kappa = Decimal(panel.policy.min_kappa)
    judges = []
    for n, judge in enumerate(panel.judges):
        ratings = [r[0][n].vote.verdict.value if r[0][n].vote else NONE for r in results]
        judges.append(_report(judge.judge_id, judge.model, items, ratings, min_kappa))
    panel_ratings = [outcome.value if outcome is not Outcome.INCONCLUSIVE else NONE for _, outcome in results]
    return CalibrationReport(
        set_digest=set_digest(items),
        items=len(items),
        min_kappa=min_kappa,
        judges=tuple(judges),
        panel=_report("panel", panel.panel_version, items, panel_ratings, None),
        simulated=panel.simulated,
    )
