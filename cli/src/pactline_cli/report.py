"""A self-contained HTML report of what the system did: each agent's trust score over time,
verdict outcomes by clause, and escrow flows per party.

Rendering is a pure function of ``ReportData`` (which the caller reads from the running
system's APIs); the page embeds plotly.js, so it opens offline from a single file.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import plotly.graph_objects as go

USDC = Decimal(10) ** 6


@dataclass(frozen=True)
class ScorePoint:
    agent: str
    at: datetime
    composite: int


@dataclass(frozen=True)
class ClauseOutcomes:
    clause: str
    passed: int
    failed: int
    inconclusive: int


@dataclass(frozen=True)
class PartyFlow:
    """Minor units of the escrow token that moved to or stayed for one party."""

    party: str
    role: str
    released: int
    refunded: int
    held: int


@dataclass(frozen=True)
class ReportData:
    title: str
    generated_at: datetime
    scores: list[ScorePoint] = field(default_factory=list)
    clauses: list[ClauseOutcomes] = field(default_factory=list)
    flows: list[PartyFlow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _usdc(minor: int) -> float:
    # Display only: the chart axis needs a number; every figure in the data stays an integer.
    return float(Decimal(minor) / USDC)


def scores_figure(points: list[ScorePoint]) -> go.Figure:
    figure = go.Figure()
    for agent in sorted({p.agent for p in points}):
        series = sorted((p for p in points if p.agent == agent), key=lambda p: p.at)
        figure.add_trace(
            go.Scatter(x=[p.at for p in series], y=[p.composite for p in series], mode="lines+markers", name=agent)
        )
    figure.update_layout(title="Trust score over time", yaxis={"title": "composite (0-1000)", "range": [0, 1000]})
    return figure


def clauses_figure(rows: list[ClauseOutcomes]) -> go.Figure:
    names = [r.clause for r in rows]
    figure = go.Figure(
        [
            go.Bar(name="PASS", x=names, y=[r.passed for r in rows], marker_color="#2e7d32"),
            go.Bar(name="FAIL", x=names, y=[r.failed for r in rows], marker_color="#c62828"),
            go.Bar(name="INCONCLUSIVE", x=names, y=[r.inconclusive for r in rows], marker_color="#9e9e9e"),
        ]
    )
    figure.update_layout(title="Verdict outcomes by clause", barmode="stack", yaxis={"title": "clause results"})
    return figure


def flows_figure(rows: list[PartyFlow]) -> go.Figure:
    names = [f"{r.party} ({r.role})" for r in rows]
    figure = go.Figure(
        [
            go.Bar(name="released", x=names, y=[_usdc(r.released) for r in rows], marker_color="#1565c0"),
            go.Bar(name="refunded", x=names, y=[_usdc(r.refunded) for r in rows], marker_color="#ef6c00"),
            go.Bar(name="held", x=names, y=[_usdc(r.held) for r in rows], marker_color="#6d4c41"),
        ]
    )
    figure.update_layout(title="Escrow flows per party", barmode="group", yaxis={"title": "USDC"})
    return figure


def render_report(data: ReportData) -> str:
    """The whole page as one HTML string (plotly.js inlined once)."""
    charts = [
        ("scores", scores_figure(data.scores)),
        ("clauses", clauses_figure(data.clauses)),
        ("flows", flows_figure(data.flows)),
    ]
    parts = []
    for index, (name, figure) in enumerate(charts):
        parts.append(
            figure.to_html(full_html=False, include_plotlyjs=index == 0, div_id=f"chart-{name}", default_height=420)
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in data.notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(data.title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}}h1{{font-size:1.4rem}}</style>
</head><body>
<h1>{html.escape(data.title)}</h1>
<p>Generated {html.escape(data.generated_at.isoformat())}. Every figure was read from the running system.</p>
<ul>{notes}</ul>
{"".join(parts)}
</body></html>
"""
