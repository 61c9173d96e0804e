"""The checked-in artifacts are exactly what the pinned compiler makes of the checked-in sources,
and the package ships only the production contracts (plus the local-chain MockUSDC)."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from pactline_escrow.artifacts import ARTIFACTS_DIR, artifact_names, load_artifact

REPO = Path(__file__).resolve().parents[3]
COMPILE = REPO / "services/settlement/contracts/compile.js"
TEST_ARTIFACTS = Path(__file__).parent / "artifacts"
SHIPPED = ["AgenticCommerce", "AggregateEscrow", "MockUSDC"]
TEST_ONLY = ["BlacklistToken", "FeeOnTransferToken", "GasProbe", "NoReturnToken", "ReentrantToken"]


def test_recompiled_artifacts_match_the_checked_in_ones(tmp_path):
    node = shutil.which("node")
    assert node, "node is needed to recompile the contracts"
    shipped_out, test_out = tmp_path / "shipped", tmp_path / "test"
    subprocess.run(
        [node, str(COMPILE), "--out", str(shipped_out), "--test-out", str(test_out)],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    for fresh_dir, checked_in in ((shipped_out, ARTIFACTS_DIR), (test_out, TEST_ARTIFACTS)):
        fresh = sorted(p.name for p in fresh_dir.glob("*.json"))
        assert fresh == sorted(p.name for p in checked_in.glob("*.json"))
        for name in fresh:
            assert (fresh_dir / name).read_bytes() == (checked_in / name).read_bytes(), name


def test_test_only_contracts_are_not_in_the_package_and_not_in_its_wheel(tmp_path):
    assert artifact_names() == SHIPPED
    assert artifact_names(TEST_ARTIFACTS) == TEST_ONLY
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the wheel"
    subprocess.run(
        [uv, "build", "--package", "pactline-escrow", "--wheel", "-o", str(tmp_path)],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("pactline_escrow-*.whl")
    shipped = sorted(Path(name).stem for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".json"))
    assert shipped == SHIPPED


def test_escrow_artifacts_carry_abi_and_bytecode():
    for name in ("AgenticCommerce", "AggregateEscrow"):
        artifact = load_artifact(name)
        functions = {e["name"] for e in artifact.abi if e["type"] == "function"}
        assert artifact.bytecode.startswith("0x60")
        assert functions
    commerce = {e["name"] for e in load_artifact("AgenticCommerce").abi if e["type"] == "function"}
    assert {"createJob", "setProvider", "setBudget", "fund", "submit", "complete", "reject", "claimRefund"} <= commerce
    (fund,) = [e for e in load_artifact("AgenticCommerce").abi if e.get("name") == "fund"]
    assert [i["name"] for i in fund["inputs"]] == ["jobId", "expectedToken", "expectedBudget", "optParams"]
