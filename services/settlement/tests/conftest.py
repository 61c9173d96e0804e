"""Fixtures for the settlement's tests (builders in settlement_testkit, chain in settlement_chain)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: make the test kits importable
