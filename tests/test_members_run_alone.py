"""Every workspace member's tests run on their own (`uv run --package X pytest X/tests`), with
no sys.path patches: shared test helpers live in tests/support and libs/events/tests, which the
root pytest configuration puts on the path for every member alike."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def members() -> list[tuple[str, Path]]:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    found = []
    for pattern in globs:
        for folder in sorted(ROOT.glob(pattern)):
            if (folder / "pyproject.toml").exists() and (folder / "tests").is_dir():
                found.append((tomllib.loads((folder / "pyproject.toml").read_text())["project"]["name"], folder))
    return found


def test_every_member_with_tests_is_found():
    names = {name for name, _ in members()}
    assert {"pactline-events", "pactline-pacts", "pactline-messaging", "pactline-registry", "pactline-cli"} <= names


def test_no_test_patches_sys_path():
    offenders = [
        str(path.relative_to(ROOT))
        for _, folder in members()
        for path in (folder / "tests").rglob("*.py")
        if re.search(r"sys\.path\.(insert|append)", path.read_text())
    ]
    assert offenders == []


# Two representatives (each `uv run --package` costs seconds): a pure library, and a service
# whose tests use the shared infrastructure fixtures and the registry test kit.
@pytest.mark.parametrize("name", ["pactline-pacts", "pactline-registry"])
def test_member_tests_collect_with_only_that_member_selected(name: str):
    folder = dict(members())[name]
    result = subprocess.run(
        ["uv", "run", "--frozen", "--package", name, "pytest", str(folder / "tests"), "--collect-only", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"\d+ tests? collected", result.stdout), result.stdout[-2000:]
