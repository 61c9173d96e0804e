"""Compiled contract artifacts shipped with this package.

They are written by services/settlement/contracts/compile.js; a test recompiles and compares.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

ARTIFACTS_DIR = Path(__file__).parent / "artifacts"


class ContractArtifact(BaseModel):
    model_config = ConfigDict(frozen=True)

    contract_name: str
    abi: tuple[dict[str, Any], ...]
    bytecode: str


@cache
def load_artifact(contract_name: str) -> ContractArtifact:
    raw = json.loads((ARTIFACTS_DIR / f"{contract_name}.json").read_text())
    return ContractArtifact(contract_name=raw["contractName"], abi=tuple(raw["abi"]), bytecode=raw["bytecode"])


def artifact_names() -> list[str]:
    return sorted(p.stem for p in ARTIFACTS_DIR.glob("*.json"))
