"""Connecting to an RPC endpoint and sending transactions signed by one local account.

Keys stay in this process: transactions are signed locally and sent raw, so the same code works
against anvil and against a public Base RPC that holds no accounts.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.contract.async_contract import AsyncContractFunction
from web3.exceptions import ContractLogicError
from web3.types import TxReceipt

from pactline_escrow.errors import EscrowReverted, decode_revert
from pactline_escrow.models import TxResult

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


def connect(rpc_url: str = DEFAULT_RPC_URL) -> AsyncWeb3:
    return AsyncWeb3(AsyncHTTPProvider(rpc_url))


def account_from_key(private_key: str) -> LocalAccount:
    return Account.from_key(private_key)


class Signer:
    """Sends contract calls as one account; reverts surface as `EscrowReverted`."""

    def __init__(self, w3: AsyncWeb3, account: LocalAccount) -> None:
        self.w3 = w3
        self.account = account

    @property
    def address(self) -> str:
        return self.account.address

    async def send(self, fn: AsyncContractFunction) -> TxResult:
        result, _ = await self.transact(fn)
        return result

    async def transact(self, fn: AsyncContractFunction) -> tuple[TxResult, TxReceipt]:
        """Send `fn` and return the result together with the raw receipt (for its logs)."""
        params: dict[str, Any] = {"from": self.account.address}
        try:
            # Estimating first surfaces the custom error before anything is broadcast.
            gas = await fn.estimate_gas(params)
        except ContractLogicError as exc:
            raise decode_revert(exc.data) from exc
        params |= {
            "gas": gas + gas // 5,
            "nonce": await self.w3.eth.get_transaction_count(self.account.address, "pending"),
            "chainId": await self.w3.eth.chain_id,
        }
        tx = await fn.build_transaction(params)
        return await self._send_raw(tx)

    async def deploy(self, abi: Any, bytecode: str, *args: Any) -> tuple[str, TxResult]:
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        tx = await factory.constructor(*args).build_transaction(
            {
                "from": self.account.address,
                "nonce": await self.w3.eth.get_transaction_count(self.account.address, "pending"),
                "chainId": await self.w3.eth.chain_id,
            }
        )
        result, receipt = await self._send_raw(tx)
        return receipt["contractAddress"], result

    async def _send_raw(self, tx: Any) -> tuple[TxResult, TxReceipt]:
        signed = self.account.sign_transaction(tx)
        tx_hash = await self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = await self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise EscrowReverted("Unknown", (), "0x")
        result = TxResult(
            tx_hash="0x" + bytes(tx_hash).hex(),
            block_number=receipt["blockNumber"],
            gas_used=receipt["gasUsed"],
        )
        return result, receipt
