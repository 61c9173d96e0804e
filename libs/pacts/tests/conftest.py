"""Shared fixtures: a small valid pact as plain data that each test may change freely."""

from __future__ import annotations

from typing import Any

import pytest


def small_pact() -> dict[str, Any]:
    return {
        "format": "pactline.pact/v1",
        "name": "small-pact",
        "version": 1,
        "title": "A small pact",
        "clauses": [
            {
                "id": "verdict-line",
                "kind": "regex_required",
                "severity": "must",
                "weight": 40,
                "dimension": "format_compliance",
                "pattern": "^VERDICT: (yes|no)$",
                "multiline": True,
            },
            {
                "id": "short",
                "kind": "length_bounds",
                "severity": "should",
                "weight": 20,
                "dimension": "format_compliance",
                "min": 1,
                "max": 500,
            },
            {
                "id": "helpful",
                "kind": "rubric",
                "severity": "should",
                "weight": 40,
                "dimension": "accuracy",
                "criterion": "The answer is correct.",
                "pass_threshold": "0.7",
            },
        ],
        "pass_rule": {"threshold": "0.8"},
        "dispute_window_seconds": 86400,
        "escrow": {"modes": ["per_task"], "min_task_price": 10000},
    }


@pytest.fixture
def pact_data() -> dict[str, Any]:
    return small_pact()
