"""Compiled contract artifacts shipped with this package.

They are written by services/settlement/contracts/compile.js; a test recompiles and compares.
Only the production contracts (and the local-chain MockUSDC) ship here; the test-only tokens
and the gas probe are compiled next to the tests and loaded from there by directory.
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
    deployed_bytecode: str


@cache
def load_artifact(contract_name: str, directory: Path = ARTIFACTS_DIR) -> ContractArtifact:
    raw = json.loads((directory / f"{contract_name}.json").read_text())
    return ContractArtifact(
        contract_name=raw["contractName"],
        abi=tuple(raw["abi"]),
        bytecode=raw["bytecode"],
        deployed_bytecode=raw["deployedBytecode"],
    )


def artifact_names(directory: Path = ARTIFACTS_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))
