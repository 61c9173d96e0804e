"""Escrow configuration from the environment. Private keys are only ever read from env vars."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from pactline_escrow.chain import DEFAULT_RPC_URL

DEFAULT_DEPLOYMENT_FILE = ".local/chain/deployment.json"


class Role(StrEnum):
    BUYER = "BUYER"
    PROVIDER = "PROVIDER"
    EVALUATOR = "EVALUATOR"
    DEPLOYER = "DEPLOYER"


class MissingKey(RuntimeError):
    def __init__(self, role: Role) -> None:
        super().__init__(f"set PACTLINE_{role}_PRIVATE_KEY to sign as the {role.lower()}")
        self.role = role


def rpc_url() -> str:
    """PACTLINE_ETH_RPC_URL, else the local anvil `make up` starts (its port follows
    PACTLINE_ANVIL_PORT, as everywhere else in the project)."""
    if url := os.environ.get("PACTLINE_ETH_RPC_URL"):
        return url
    port = os.environ.get("PACTLINE_ANVIL_PORT")
    return f"http://127.0.0.1:{port}" if port else DEFAULT_RPC_URL


def deployment_file() -> Path:
    return Path(os.environ.get("PACTLINE_DEPLOYMENT_FILE", DEFAULT_DEPLOYMENT_FILE))


def private_key(role: Role) -> str:
    key = os.environ.get(f"PACTLINE_{role}_PRIVATE_KEY")
    if not key:
        raise MissingKey(role)
    return key


def usdc_address() -> str | None:
    """The real USDC on Base / Base Sepolia; unset means deploy a MockUSDC (local chains only)."""
    return os.environ.get("PACTLINE_USDC_ADDRESS") or None
