"""One panel run: screen the output, seat the judges, ask them all at once, decide.

Used alike by the service's worker, `pactline jury try`, calibration and the benchmark. The
calls run concurrently, so a panel takes about as long as its slowest answering judge (each
cut at its own deadline), never the sum.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal

from pactline_events.jury_events import JuryDeliberated, JuryRequested

from . import metrics
from .domain import JudgmentRecord, Seating, deliberate, estimated_cost, record_judgment, seat_panel
from .judging import JudgeCaller
from .panel import Panel
from .prompt import build_messages, fence_is_safe, prompt_hash
from .screen import Finding, screen

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deliberation:
    event: JuryDeliberated
    records: tuple[JudgmentRecord, ...]
    seating: Seating
    findings: tuple[Finding, ...]
    fence: str
    canary: str
    wall_ms: int


def draw_fence_and_canary(request: JuryRequested) -> tuple[str, str]:
    while True:
        fence, canary = secrets.token_hex(12), f"CANARY-{secrets.token_hex(8)}"
        if fence_is_safe(request, fence, canary):
            return fence, canary


class Jury:
    def __init__(self, panel: Panel, caller: JudgeCaller | None = None) -> None:
        self.panel = panel
        self.caller = caller or JudgeCaller(panel.policy)
        if panel.simulated:
            log.warning(
                "JUDGES ARE SIMULATED: panel %s uses the project's simulated judge server; "
                "its verdicts come from an answer key, not from language models",
                panel.panel_version,
            )

    async def deliberate(self, request: JuryRequested, *, benched: frozenset[str] = frozenset()) -> Deliberation:
        started = time.monotonic()
        fence, canary = draw_fence_and_canary(request)
        findings = await asyncio.to_thread(screen, request.output)
        planted = [f.matched for f in findings]
        prompts = {item.clause_id: build_messages(request, item, fence=fence, canary=canary) for item in request.rubric}
        hashes = {clause: prompt_hash(messages) for clause, messages in prompts.items()}
        estimates = {j.judge_id: estimated_cost(j, list(prompts.values())) for j in self.panel.judges}
        seating = seat_panel(self.panel, request.agent_model_family, benched, estimates)
        jobs = []
        if len(seating.seated) >= self.panel.policy.quorum:  # below quorum nothing is spent
            jobs = [(item, judge) for item in request.rubric for judge in seating.seated]
        calls = await asyncio.gather(*(self.caller.call(judge, prompts[item.clause_id]) for item, judge in jobs))
        records = tuple(
            await asyncio.to_thread(
                lambda: [
                    record_judgment(
                        judge,
                        Decimal(item.pass_threshold),
                        item.clause_id,
                        hashes[item.clause_id],
                        call,
                        canary=canary,
                        output=request.output,
                        planted=planted,
                    )
                    for (item, judge), call in zip(jobs, calls, strict=True)
                ]
            )
        )
        event = deliberate(
            request, panel=self.panel, seating=seating, records=records, findings=findings, fence=fence, canary=canary
        )
        wall_ms = int((time.monotonic() - started) * 1000)
        _observe(event, records, seating, findings, wall_ms)
        return Deliberation(event, records, seating, findings, fence, canary, wall_ms)


def _observe(
    event: JuryDeliberated,
    records: tuple[JudgmentRecord, ...],
    seating: Seating,
    findings: tuple[Finding, ...],
    wall_ms: int,
) -> None:
    metrics.DELIBERATIONS.labels(str(event.simulated).lower()).inc()
    metrics.PANEL_SECONDS.observe(wall_ms / 1000)
    for result in event.results:
        metrics.CLAUSE_OUTCOMES.labels(result.outcome.value, result.reason.value if result.reason else "").inc()
    for r in records:
        judge = r.judge.judge_id
        metrics.JUDGMENTS.labels(judge, str(r.vote is not None).lower()).inc()
        metrics.JUDGE_SECONDS.labels(judge).observe(r.latency_ms / 1000)
        metrics.COST.labels(judge).inc(r.cost)
        for flag in r.flags:
            metrics.JUDGMENT_FLAGS.labels(judge, flag.value).inc()
    for ex in seating.excluded:
        metrics.EXCLUSIONS.labels(ex.judge_id, ex.reason.value).inc()
    for f in findings:
        metrics.INJECTION_FINDINGS.labels(f.kind.value).inc()
