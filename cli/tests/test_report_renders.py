"""The HTML report renders in a real headless Chromium (Debian's package): every chart is drawn,
not blank, with the expected series."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from playwright.async_api import async_playwright

from pactline_cli.report import ClauseOutcomes, PartyFlow, ReportData, ScorePoint, render_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's package; scripts/setup.sh installs it
# As the machine's probe does: no background networking on this closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def sample() -> ReportData:
    scores = [
        ScorePoint(agent, T0 + timedelta(minutes=m), score)
        for agent, series in {"reliable-bot": [0, 310, 520], "sloppy-bot": [0, 120, 90]}.items()
        for m, score in enumerate(series)
    ]
    return ReportData(
        title="Pactline demo <report>",
        generated_at=T0,
        scores=scores,
        clauses=[ClauseOutcomes("answer-schema", 40, 12, 3), ClauseOutcomes("helpful", 30, 5, 9)],
        flows=[PartyFlow("buyer-a", "buyer", 0, 2_500_000, 500_000), PartyFlow("op-1", "provider", 9_000_000, 0, 0)],
        notes=["agents and judges are simulated"],
    )


def test_report_is_one_self_contained_file_with_escaped_text():
    page = render_report(sample())
    assert page.count("<script") >= 3
    assert "<script src=" not in page  # plotly.js is inlined, the file opens offline
    assert "Pactline demo &lt;report&gt;" in page


async def test_charts_render_in_headless_chromium_with_the_expected_series(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(render_report(sample()))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1200, "height": 1600})
            await page.goto(report.as_uri())
            await page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3")
            series = await page.evaluate(
                """() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')]
                       .map(d => [d.id, d.data.map(t => t.name)]))"""
            )
            drawn = await page.evaluate(
                """() => ({
                    lines: [...document.querySelectorAll('#chart-scores .scatterlayer path.js-line')]
                        .filter(p => (p.getAttribute('d') || '').length > 10).length,
                    bars: [...document.querySelectorAll('#chart-clauses .barlayer path, #chart-flows .barlayer path')]
                        .filter(p => (p.getAttribute('d') || '') !== 'M0,0Z').length,
                })"""
            )
            shot = await page.screenshot(full_page=True)
        finally:
            await browser.close()
    assert series == {
        "chart-scores": ["reliable-bot", "sloppy-bot"],
        "chart-clauses": ["PASS", "FAIL", "INCONCLUSIVE"],
        "chart-flows": ["released", "refunded", "held"],
    }
    assert drawn["lines"] == 2
    assert drawn["bars"] >= 6 + 3  # 2 clauses x 3 outcomes, and the non-zero flows
    assert len(set(shot[1000:200000:97])) > 50  # a blank page compresses to a few distinct bytes
