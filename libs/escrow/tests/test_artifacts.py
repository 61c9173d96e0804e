"""The checked-in artifacts are exactly what the pinned compiler makes of the checked-in sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pactline_escrow.artifacts import ARTIFACTS_DIR, artifact_names, load_artifact

REPO = Path(__file__).resolve().parents[3]
COMPILE = REPO / "services/settlement/contracts/compile.js"


def test_recompiled_artifacts_match_the_checked_in_ones(tmp_path):
    node = shutil.which("node")
    assert node, "node is needed to recompile the contracts"
    subprocess.run([node, str(COMPILE), "--out", str(tmp_path)], check=True, cwd=REPO)
    fresh = sorted(p.name for p in tmp_path.glob("*.json"))
    shipped = sorted(p.name for p in ARTIFACTS_DIR.glob("*.json"))
    assert fresh == shipped
    for name in fresh:
        assert (tmp_path / name).read_bytes() == (ARTIFACTS_DIR / name).read_bytes(), name


def test_escrow_artifacts_carry_abi_and_bytecode():
    assert {"AgenticCommerce", "AggregateEscrow", "MockUSDC"} <= set(artifact_names())
    for name in ("AgenticCommerce", "AggregateEscrow"):
        artifact = load_artifact(name)
        functions = {e["name"] for e in artifact.abi if e["type"] == "function"}
        assert artifact.bytecode.startswith("0x60")
        assert functions
    commerce = {e["name"] for e in load_artifact("AgenticCommerce").abi if e["type"] == "function"}
    assert {"createJob", "setProvider", "setBudget", "fund", "submit", "complete", "reject", "claimRefund"} <= commerce
