"""The demo's HTML report (pactline_cli.report): each agent's trust score over time from the
Trust Oracle's history, verdict outcomes by clause from the VerdictIssued events on the log,
and escrow flows per party from the settlement ledger."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

from pactline_cli.report import ClauseOutcomes, PartyFlow, ReportData, ScorePoint, render_report
from pactline_events import decode
from pactline_events.topics import VERDICTS
from pactline_messaging.log_reader import read_topic

from .onboarding import Roster
from .platform import Platform
from .traffic import Task


async def score_points(platform: Platform, roster: Roster) -> list[ScorePoint]:
    points = []
    async with httpx.AsyncClient(base_url=platform.scoring, timeout=30) as http:
        for agent in roster.agents.values():
            answer = await http.get(f"/v1/agents/{agent.agent_id}/history", params={"limit": 1000})
            if answer.status_code != 200:
                continue
            for point in answer.json()["points"]:
                at = datetime.fromisoformat(point["as_of"].replace("Z", "+00:00"))
                points.append(ScorePoint(f"{agent.spec.label}-bot", at, point["composite"]))
    return points


async def clause_outcomes(platform: Platform, roster: Roster, tasks: list[Task]) -> list[ClauseOutcomes]:
    """Every clause result of this run's verdicts, as the evaluator published them."""
    streams = {f"evaluation-{t.task_id}".encode() for t in tasks}
    records = await read_topic(platform.kafka, VERDICTS, lambda r: r.key in streams)
    counts: Counter[tuple[str, str, str]] = Counter()
    seen = set()
    for record in records:
        event = decode(record.value)
        if event.event_id in seen:  # an exact redelivery is one verdict
            continue
        seen.add(event.event_id)
        agent = roster.agent_name(event.payload.agent_id)
        for result in event.payload.clause_results:
            if result.evaluated:
                counts[(agent, result.clause_id, str(result.outcome))] += 1
    names = sorted({(agent, clause) for agent, clause, _ in counts})
    return [
        ClauseOutcomes(
            f"{agent} {clause}",
            counts[(agent, clause, "PASS")],
            counts[(agent, clause, "FAIL")],
            counts[(agent, clause, "INCONCLUSIVE")],
        )
        for agent, clause in names
    ]


def write(
    path: Path,
    roster: Roster,
    scores: list[ScorePoint],
    clauses: list[ClauseOutcomes],
    flows: list[PartyFlow],
    notes: list[str],
) -> Path:
    data = ReportData(
        title=f"Pactline demo, run {roster.run_id}",
        generated_at=datetime.now(UTC),
        scores=scores,
        clauses=clauses,
        flows=flows,
        notes=notes,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data), encoding="utf-8")
    return path
