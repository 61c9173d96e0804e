"""docs/scoring.md stays true: its test vectors and its worked example are computed here."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pactline_scoring.evidence import escrow_weight
from pactline_scoring.formula import FormulaParams, growth
from pactline_scoring.ledger import TrustLedger, snapshot_digest
from pactline_scoring.lower_bound import lower_bound_micro
from trust_events import Log, acceptance, settlement, verdict

DOC = Path(__file__).resolve().parents[3] / "docs" / "scoring.md"
PARAMS = FormulaParams()


def vectors() -> dict:
    block = re.search(r"```json vectors\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/scoring.md lost its test vectors"
    return json.loads(block.group(1))


def worked_example() -> TrustLedger:
    """Section 8 of the doc, event by event."""
    log = Log(prefix="example-", chained=False)
    day0 = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    log.add(acceptance("acc-1", "agent-7", "buyer-1"), day0)
    log.add(acceptance("acc-2", "agent-7", "buyer-2"), day0)
    log.add(verdict("task-1", "acc-1", "agent-7", price=1_000_000), datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    log.add(settlement("acc-1", ("task-1",), released=1_000_000), datetime(2026, 3, 1, 12, 30, tzinfo=UTC))
    passing = ("no-pii-leak", "no-forbidden-promises", "no-internal-links", "cheap-reply", "reply-length")
    failed = verdict(
        "task-2",
        "acc-2",
        "agent-7",
        outcome="FAIL",
        price=200_000,
        clause_outcomes={"fast-reply": "FAIL", "helpful": "FAIL", "safe-and-respectful": "PASS"}
        | dict.fromkeys(passing, "PASS"),
    )
    log.add(failed, datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    log.add(
        settlement("acc-2", ("task-2",), refunded=200_000), datetime(2026, 3, 2, 12, 0, tzinfo=UTC) + timedelta(hours=1)
    )
    return TrustLedger.of(log.events, PARAMS)


def test_lower_bound_growth_and_escrow_weight_vectors():
    v = vectors()
    for a, b, q, expected in v["lower_bound_micro"]:
        assert lower_bound_micro(a, b, q) == expected
    for n, expected in v["growth"]:
        assert growth(n, PARAMS.half_life_s) == expected
    for price, expected in v["escrow_weight"]:
        assert escrow_weight(price, PARAMS, 1, 1) == expected
    assert PARAMS.digest == v["params_digest"]


def test_the_worked_example_gives_the_documented_numbers():
    expected = vectors()["worked_example"]
    at = datetime(2026, 3, 3, tzinfo=UTC)
    ledger = worked_example()
    score = ledger.score("agent-7", at)
    assert (score.composite, score.confidence, score.tier) == (
        expected["composite"],
        expected["confidence"],
        expected["tier"],
    )
    assert {d: f.lower_bound for d, f in score.dimensions.items()} == expected["lower_bounds"]
    assert snapshot_digest(ledger.snapshot(at)) == expected["snapshot_digest"]


def test_the_documented_defaults_are_the_published_parameters():
    text = DOC.read_text()
    block = re.search(r"the defaults are:\n\n```json\n(.*?)```", text, re.S)
    assert block
    assert json.loads(block.group(1)) == PARAMS.published()
