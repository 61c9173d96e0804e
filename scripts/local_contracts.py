"""`make contracts`: make sure the escrow contracts are deployed on the local anvil.

Idempotent: an existing deployment file whose contracts still run the checked-in bytecode is
kept; after a contract change (or a fresh anvil) they are deployed again. Only for the local
development chain (id 31337), where anvil's first well-known test account deploys; on any other
chain use `pactline escrow deploy` with your own deployer key.
"""

from __future__ import annotations

import asyncio
import os
import sys

from pactline_escrow import settings
from pactline_escrow.artifacts import load_artifact
from pactline_escrow.chain import account_from_key, connect
from pactline_escrow.deploy import deploy
from pactline_escrow.deployment import Deployment, DeploymentMissing
from pactline_messaging import endpoints

LOCAL_CHAIN_ID = 31337
# anvil's account 0 from its public test mnemonic: worthless anywhere but a local dev chain.
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
# anvil's account 9: the local settlement service signs as the evaluator with its key
# (scripts/services.sh), so the local deployment records it for the registry's escrow checks.
LOCAL_EVALUATOR = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"


async def _runs_current_code(w3, deployment: Deployment) -> bool:
    for name, address in (
        ("AgenticCommerce", deployment.agentic_commerce),
        ("AggregateEscrow", deployment.aggregate_escrow),
    ):
        code = "0x" + bytes(await w3.eth.get_code(address)).hex()
        if code != load_artifact(name).deployed_bytecode:
            return False
    return True


async def ensure() -> int:
    w3 = connect(endpoints.eth_rpc_url())
    try:
        chain_id = await w3.eth.chain_id
        path = settings.deployment_file()
        try:
            existing = Deployment.load(path)
        except DeploymentMissing:
            existing = None
        if existing and existing.chain_id == chain_id and await _runs_current_code(w3, existing):
            print(f"escrow contracts already deployed ({path})")
            deployment = existing
            if deployment.evaluator is None and chain_id == LOCAL_CHAIN_ID:
                deployment = deployment.model_copy(update={"evaluator": LOCAL_EVALUATOR})
                deployment.save(path)
        elif chain_id != LOCAL_CHAIN_ID:
            print(f"chain {chain_id} is not the local anvil: deploy with `pactline escrow deploy`", file=sys.stderr)
            return 2
        else:
            deployer = account_from_key(os.environ.get("PACTLINE_DEPLOYER_PRIVATE_KEY", ANVIL_DEV_KEY))
            deployment = await deploy(w3, deployer, settings.usdc_address())
            deployment = deployment.model_copy(update={"evaluator": LOCAL_EVALUATOR})
            deployment.save(path)
            print(f"deployed escrow contracts, addresses written to {path}")
    finally:
        await w3.provider.disconnect()
    for name in ("agentic_commerce", "aggregate_escrow", "usdc", "evaluator"):
        print(f"  {name:<17} {getattr(deployment, name)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(ensure()))
