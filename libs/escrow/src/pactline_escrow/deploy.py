"""Deploy the escrow contracts (and a MockUSDC when no real USDC is configured)."""

from __future__ import annotations

from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from pactline_escrow import settings
from pactline_escrow.artifacts import ARTIFACTS_DIR, load_artifact
from pactline_escrow.chain import LOCAL_CHAIN_IDS, Signer, account_from_key, connect
from pactline_escrow.deployment import Deployment
from pactline_escrow.errors import MockTokenRefused

# Contracts anyone can mint from: never deployed where real money lives.
MINTABLE_MOCKS = frozenset({"MockUSDC"})


async def deploy_contract(signer: Signer, contract_name: str, *args: object, directory: Path = ARTIFACTS_DIR) -> str:
    """Deploy one compiled contract; a mintable mock is refused (`MockTokenRefused`) unless the
    chain is a local development chain."""
    if contract_name in MINTABLE_MOCKS:
        chain_id = await signer.w3.eth.chain_id
        if chain_id not in LOCAL_CHAIN_IDS:
            raise MockTokenRefused(chain_id)
    artifact = load_artifact(contract_name, directory)
    address, _ = await signer.deploy(list(artifact.abi), artifact.bytecode, *args)
    return address


async def deploy(w3: AsyncWeb3, deployer: LocalAccount, usdc: str | None = None) -> Deployment:
    """Deploy AgenticCommerce and AggregateEscrow; `usdc=None` deploys a MockUSDC too, on a
    local chain only."""
    signer = Signer(w3, deployer)
    token = usdc or await deploy_contract(signer, "MockUSDC")
    return Deployment(
        chain_id=await w3.eth.chain_id,
        agentic_commerce=await deploy_contract(signer, "AgenticCommerce"),
        aggregate_escrow=await deploy_contract(signer, "AggregateEscrow"),
        usdc=w3.to_checksum_address(token),
        usdc_is_mock=usdc is None,
    )


async def deploy_from_env() -> tuple[Deployment, Path]:
    """Deploy with PACTLINE_DEPLOYER_PRIVATE_KEY on PACTLINE_ETH_RPC_URL, record the addresses."""
    deployer = account_from_key(settings.private_key(settings.Role.DEPLOYER))
    w3 = connect(settings.rpc_url())
    try:
        deployment = await deploy(w3, deployer, settings.usdc_address())
    finally:
        await w3.provider.disconnect()
    path = settings.deployment_file()
    deployment.save(path)
    return deployment, path
