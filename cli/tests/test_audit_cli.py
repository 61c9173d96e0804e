"""`pactline audit replay` turns the replay's report into an exit status and one line per
problem; the replay itself runs end to end in services/scoring/tests/test_scoring_e2e.py."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pactline_cli.audit_replay import AuditReport
from pactline_cli.commands import audit
from pactline_cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("broken", "mismatches", "status"),
    [([], [], 0), ([], ["agent a-1: composite replay=10 oracle=11"], 1), (["verdicts[2]@7 event e: fork"], [], 2)],
)
def test_exit_status_says_what_went_wrong(monkeypatch, broken, mismatches, status):
    async def fake_replay(kafka, client, **kwargs):
        return AuditReport(events_read=12, chains_verified=12, digest="ab" * 32, broken=broken, mismatches=mismatches)

    monkeypatch.setattr(audit, "run_replay", fake_replay)
    result = runner.invoke(app, ["audit", "replay", "--oracle", "http://oracle.invalid", "--kafka", "k:1"])
    assert result.exit_code == status, result.output
    report = json.loads(result.stdout[: result.stdout.rindex("}") + 1])
    assert report["events_read"] == 12
    assert report["ok"] is (status == 0)
    for line in broken:
        assert f"BROKEN: {line}" in result.stderr
    for line in mismatches:
        assert f"MISMATCH: {line}" in result.stderr


def test_an_unreachable_oracle_is_one_line_and_status_2():
    result = runner.invoke(app, ["audit", "replay", "--oracle", "http://127.0.0.1:9", "--kafka", "127.0.0.1:9"])
    assert result.exit_code == 2
    assert result.stderr.startswith("audit failed:")
