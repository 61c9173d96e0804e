"""`pactline escrow ...` against the real anvil: deploy, create a job, show it, and the errors a
buyer or provider sees when something is missing or the chain refuses."""

from __future__ import annotations

import json

import httpx
import pytest
from eth_account import Account
from typer.testing import CliRunner

from pactline_cli.main import app

pytestmark = pytest.mark.infra
runner = CliRunner()


def funded_key(rpc: str) -> str:
    account = Account.create()
    response = httpx.post(
        rpc, json={"jsonrpc": "2.0", "id": 1, "method": "anvil_setBalance", "params": [account.address, hex(10**20)]}
    )
    assert "error" not in response.json()
    return account.key.hex() if account.key.hex().startswith("0x") else "0x" + account.key.hex()


@pytest.fixture
def escrow_env(eth_rpc_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PACTLINE_ETH_RPC_URL", eth_rpc_url)
    monkeypatch.setenv("PACTLINE_DEPLOYMENT_FILE", str(tmp_path / "deployment.json"))
    monkeypatch.delenv("PACTLINE_USDC_ADDRESS", raising=False)
    monkeypatch.delenv("PACTLINE_PROVIDER_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("PACTLINE_DEPLOYER_PRIVATE_KEY", funded_key(eth_rpc_url))
    monkeypatch.setenv("PACTLINE_BUYER_PRIVATE_KEY", funded_key(eth_rpc_url))
    return tmp_path / "deployment.json"


def invoke(*args: str):
    return runner.invoke(app, ["escrow", *args])


def test_buyer_deploys_creates_and_shows_a_job(escrow_env):
    deployed = invoke("deploy")
    assert deployed.exit_code == 0, deployed.output
    assert json.loads(escrow_env.read_text())["usdc_is_mock"] is True

    evaluator, provider = Account.create().address, Account.create().address
    created = invoke("create", "--evaluator", evaluator, "--provider", provider, "--budget", "5000000")
    assert created.exit_code == 0, created.output
    job_id = json.loads(created.stdout)["job_id"]

    shown = invoke("show", "job", str(job_id))
    assert shown.exit_code == 0, shown.output
    job = json.loads(shown.stdout)
    assert job["budget"] == 5_000_000
    assert job["provider"].lower() == provider.lower()
    assert job["evaluator"].lower() == evaluator.lower()

    # The front-running check: funding with a budget other than the one on chain is refused.
    refused = invoke("fund", str(job_id), "--expected-budget", "1")
    assert refused.exit_code == 1
    assert "reverted: AgenticCommerce" in refused.output


def test_missing_key_and_missing_deployment_are_one_line_errors(escrow_env):
    no_deployment = invoke("show", "job", "1")
    assert no_deployment.exit_code == 2
    assert "pactline escrow deploy" in no_deployment.output
    assert "Traceback" not in no_deployment.output

    assert invoke("deploy").exit_code == 0
    no_key = invoke("submit", "1", "0x" + "ab" * 32)
    assert no_key.exit_code == 2
    assert "PACTLINE_PROVIDER_PRIVATE_KEY" in no_key.output
