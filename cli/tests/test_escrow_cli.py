"""`pactline escrow ...` against the real anvil: deploy, create a job, show it, open a pool, and
the errors a buyer or provider sees when something is missing, the chain refuses, the token was
swapped under the buyer, or the deployment is for another chain."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
from eth_account import Account
from typer.testing import CliRunner

from pactline_cli.main import app
from pactline_escrow import BuyerClient, Deployment, ProviderClient
from pactline_escrow.chain import account_from_key, connect
from pactline_escrow.deploy import deploy_contract

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


async def _swap_token_as_provider(rpc: str, deployment_file, provider_key: str, job_id: int) -> str:
    """The attack, done with the library: the provider points the job at another token."""
    w3 = connect(rpc)
    deployment = Deployment.load(deployment_file)
    provider = ProviderClient(w3, account_from_key(provider_key), deployment)
    try:
        other = await deploy_contract(provider.signer, "MockUSDC")
        await provider.set_budget(job_id, 5_000_000, token=other)
    finally:
        await w3.provider.disconnect()
    return other


def test_buyer_funding_is_refused_when_the_provider_swapped_the_token(escrow_env, eth_rpc_url, monkeypatch):
    assert invoke("deploy").exit_code == 0
    provider_key = funded_key(eth_rpc_url)
    monkeypatch.setenv("PACTLINE_PROVIDER_PRIVATE_KEY", provider_key)
    provider = Account.from_key(provider_key).address
    created = invoke("create", "--evaluator", Account.create().address, "--provider", provider, "--budget", "5000000")
    job_id = json.loads(created.stdout)["job_id"]

    other = asyncio.run(_swap_token_as_provider(eth_rpc_url, escrow_env, provider_key, job_id))

    refused = invoke("fund", str(job_id), "--expected-budget", "5000000")
    assert refused.exit_code == 1
    assert "reverted: AgenticCommerceTokenMismatch" in refused.output
    assert other in refused.output
    assert json.loads(invoke("show", "job", str(job_id)).stdout)["status"] == 0  # still Open


def test_buyer_opens_a_priced_pool_and_shows_it(escrow_env, eth_rpc_url):
    assert invoke("deploy").exit_code == 0
    buyer_key = os.environ["PACTLINE_BUYER_PRIVATE_KEY"]
    asyncio.run(_mint_usdc(eth_rpc_url, escrow_env, buyer_key, 10_000_000))
    opened = invoke(
        "open-pool",
        "--provider",
        Account.create().address,
        "--evaluator",
        Account.create().address,
        "--amount",
        "5000000",
        "--price-per-task",
        "50000",
        "--pact-hash",
        "0x" + "ab" * 32,
        "--acceptance-id",
        "acc-0191e0a47a527c2e9b7e3c1f0a5d2e11",
    )
    assert opened.exit_code == 0, opened.output
    pool_id = json.loads(opened.stdout)["pool_id"]
    pool = json.loads(invoke("show", "pool", pool_id).stdout)
    assert (pool["price_per_task"], pool["funded"], pool["remaining"]) == (50_000, 5_000_000, 5_000_000)
    assert pool["batch_chain"] == pool_id

    nothing = invoke("withdraw", "--as", "buyer", "--pool", pool_id)
    assert nothing.exit_code == 1
    assert "AggregateEscrowNothingToWithdraw" in nothing.output


def test_a_deployment_for_another_chain_is_refused_before_signing(escrow_env):
    assert invoke("deploy").exit_code == 0
    deployment = json.loads(escrow_env.read_text())
    escrow_env.write_text(json.dumps(deployment | {"chain_id": 8453}))
    refused = invoke("create", "--evaluator", Account.create().address)
    assert refused.exit_code == 2
    assert "chain 8453" in refused.output
    assert "Traceback" not in refused.output


async def _mint_usdc(rpc: str, deployment_file, key: str, amount: int) -> None:
    w3 = connect(rpc)
    buyer = BuyerClient(w3, account_from_key(key), Deployment.load(deployment_file))
    try:
        await buyer.signer.send(buyer.reader.token().functions.mint(buyer.address, amount))
    finally:
        await w3.provider.disconnect()
