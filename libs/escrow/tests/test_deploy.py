"""Deployment from the environment (keys from env vars, addresses recorded for services), and the
guards around it: no mintable mock on a real chain, no transaction to a chain the deployment is
not for."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak

from pactline_escrow import BuyerClient, ChainMismatch, Deployment, EscrowReader, MockTokenRefused
from pactline_escrow.chain import connect
from pactline_escrow.deploy import deploy, deploy_from_env
from pactline_escrow.ids import bytes32_from_identifier, parse_bytes32
from pactline_escrow.session import buyer_from_env
from pactline_escrow.settings import MissingKey


async def test_deploy_writes_addresses_where_services_read_them(chain, monkeypatch, tmp_path):
    deployer = Account.create()
    await chain.rpc("anvil_setBalance", [deployer.address, hex(10**20)])
    target = tmp_path / "chain" / "deployment.json"
    monkeypatch.setenv("PACTLINE_ETH_RPC_URL", chain.w3.provider.endpoint_uri)
    monkeypatch.setenv("PACTLINE_DEPLOYMENT_FILE", str(target))
    monkeypatch.setenv("PACTLINE_DEPLOYER_PRIVATE_KEY", deployer.key.hex())
    monkeypatch.delenv("PACTLINE_USDC_ADDRESS", raising=False)

    deployment, path = await deploy_from_env()

    assert path == target
    assert Deployment.load(target) == deployment
    assert deployment.usdc_is_mock
    for address in (deployment.agentic_commerce, deployment.aggregate_escrow, deployment.usdc):
        assert len(await chain.w3.eth.get_code(address)) > 0


async def test_configured_usdc_is_used_instead_of_a_mock(chain, monkeypatch, tmp_path):
    deployer = Account.create()
    await chain.rpc("anvil_setBalance", [deployer.address, hex(10**20)])
    monkeypatch.setenv("PACTLINE_ETH_RPC_URL", chain.w3.provider.endpoint_uri)
    monkeypatch.setenv("PACTLINE_DEPLOYMENT_FILE", str(tmp_path / "d.json"))
    monkeypatch.setenv("PACTLINE_DEPLOYER_PRIVATE_KEY", deployer.key.hex())
    monkeypatch.setenv("PACTLINE_USDC_ADDRESS", chain.deployment.usdc)

    deployment, _ = await deploy_from_env()

    assert deployment.usdc == chain.deployment.usdc
    assert not deployment.usdc_is_mock


def test_a_role_without_its_key_is_refused(monkeypatch):
    monkeypatch.delenv("PACTLINE_BUYER_PRIVATE_KEY", raising=False)
    with pytest.raises(MissingKey, match="PACTLINE_BUYER_PRIVATE_KEY"):
        buyer_from_env()


def test_identifiers_and_hex_parse_to_bytes32():
    assert parse_bytes32("tsk-0191e0a5000070008000000000000042") == keccak(b"tsk-0191e0a5000070008000000000000042")
    assert bytes32_from_identifier("acc-1") == keccak(text="acc-1")
    assert parse_bytes32("0x" + "ab" * 32) == b"\xab" * 32
    with pytest.raises(ValueError, match="64 hex"):
        parse_bytes32("0x1234")
    with pytest.raises(ValueError, match="not hex"):
        parse_bytes32("0x" + "zz" * 32)
    with pytest.raises(ValueError, match="never empty"):
        parse_bytes32("")


BASE_SEPOLIA = 84532


@pytest.fixture
async def foreign_chain(chain):
    """The same anvil, answering as Base Sepolia for one test (a fresh connection sees it)."""
    await chain.rpc("anvil_setChainId", [BASE_SEPOLIA])
    w3 = connect(chain.w3.provider.endpoint_uri)
    try:
        yield w3
    finally:
        await w3.provider.disconnect()
        await chain.rpc("anvil_setChainId", [31337])


async def test_mock_usdc_is_never_deployed_outside_a_local_chain(chain, foreign_chain):
    deployer = Account.create()
    await chain.rpc("anvil_setBalance", [deployer.address, hex(10**20)])
    with pytest.raises(MockTokenRefused, match="84532"):
        await deploy(foreign_chain, deployer)
    assert await foreign_chain.eth.get_transaction_count(deployer.address) == 0  # nothing was sent

    # with the network's real USDC configured, the escrows deploy and no mock is made
    deployment = await deploy(foreign_chain, deployer, usdc=chain.deployment.usdc)
    assert (deployment.chain_id, deployment.usdc_is_mock) == (BASE_SEPOLIA, False)
    assert await foreign_chain.eth.get_transaction_count(deployer.address) == 2


async def test_no_transaction_is_sent_to_a_chain_other_than_the_deployments(chain, foreign_chain):
    buyer = BuyerClient(foreign_chain, chain.buyer.signer.account, chain.deployment)
    nonce = await foreign_chain.eth.get_transaction_count(buyer.address)
    with pytest.raises(ChainMismatch) as exc:
        await buyer.create_job(chain.provider.address, chain.evaluator.address, await chain.now() + 3600, "x")
    assert (exc.value.expected, exc.value.actual) == (31337, BASE_SEPOLIA)
    with pytest.raises(ChainMismatch):
        await buyer.reclaim(b"\x01" * 32)
    with pytest.raises(ChainMismatch):
        await EscrowReader(foreign_chain, chain.deployment).ensure_chain()
    assert await foreign_chain.eth.get_transaction_count(buyer.address) == nonce
