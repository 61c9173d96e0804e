"""Fixtures for the evaluator's tests (builders in evaluator_testkit)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: make evaluator_testkit importable
