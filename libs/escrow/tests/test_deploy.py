"""Deployment from the environment: keys from env vars, addresses recorded for services."""

from __future__ import annotations

import pytest
from eth_account import Account

from pactline_escrow import Deployment
from pactline_escrow.deploy import deploy_from_env
from pactline_escrow.ids import bytes32_from_uuid, parse_bytes32
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


def test_uuid_and_hex_ids_parse_to_bytes32():
    from uuid import UUID

    acceptance = UUID("0191e0a4-7a52-7c2e-9b7e-3c1f0a5d2e11")
    assert parse_bytes32(str(acceptance)) == bytes32_from_uuid(acceptance)
    assert bytes32_from_uuid(acceptance) == b"\x00" * 16 + acceptance.bytes
    assert parse_bytes32("0x" + "ab" * 32) == b"\xab" * 32
    with pytest.raises(ValueError, match="UUID"):
        parse_bytes32("0x1234")
