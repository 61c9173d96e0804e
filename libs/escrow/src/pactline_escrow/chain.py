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
from web3.exceptions import ContractLogicError, Web3Exception
from web3.types import TxReceipt

from pactline_escrow.errors import UNKNOWN, ChainMismatch, EscrowReverted, decode_revert
from pactline_escrow.gas import gas_limit
from pactline_escrow.models import TxResult

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
# Development chains (anvil / hardhat, ganache); the only ones where a mintable mock token may exist.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})


def connect(rpc_url: str = DEFAULT_RPC_URL) -> AsyncWeb3:
    # web3's request validation asks for the chain id before every call; one answer per
    # connection is enough (and the escrow clients compare it with the deployment's).
    return AsyncWeb3(AsyncHTTPProvider(rpc_url, cache_allowed_requests=True, cacheable_requests={"eth_chainId"}))


def account_from_key(private_key: str) -> LocalAccount:
    return Account.from_key(private_key)


class Signer:
    """Sends contract calls as one account; reverts surface as `EscrowReverted`.

    With `chain_id` set (the deployment's), every transaction first checks that the RPC serves
    that chain and raises `ChainMismatch` before signing anything otherwise.
    """

    def __init__(self, w3: AsyncWeb3, account: LocalAccount, chain_id: int | None = None) -> None:
        self.w3 = w3
        self.account = account
        self.chain_id = chain_id

    @property
    def address(self) -> str:
        return self.account.address

    async def checked_chain_id(self) -> int:
        actual = await self.w3.eth.chain_id
        if self.chain_id is not None and actual != self.chain_id:
            raise ChainMismatch(self.chain_id, actual)
        return actual

    async def send(self, fn: AsyncContractFunction) -> TxResult:
        result, _ = await self.transact(fn)
        return result

    async def transact(self, fn: AsyncContractFunction) -> tuple[TxResult, TxReceipt]:
        """Send `fn` and return the result together with the raw receipt (for its logs)."""
        chain_id = await self.checked_chain_id()
        params: dict[str, Any] = {"from": self.account.address}
        try:
            # Estimating first surfaces the custom error before anything is broadcast.
            gas = await fn.estimate_gas(params)
        except ContractLogicError as exc:
            raise decode_revert(exc.data) from exc
        params |= {
            "gas": gas_limit(gas),
            "nonce": await self.w3.eth.get_transaction_count(self.account.address, "pending"),
            "chainId": chain_id,
        }
        tx = await fn.build_transaction(params)
        return await self._send_raw(tx)

    async def deploy(self, abi: Any, bytecode: str, *args: Any) -> tuple[str, TxResult]:
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        tx = await factory.constructor(*args).build_transaction(
            {
                "from": self.account.address,
                "nonce": await self.w3.eth.get_transaction_count(self.account.address, "pending"),
                "chainId": await self.checked_chain_id(),
            }
        )
        result, receipt = await self._send_raw(tx)
        return receipt["contractAddress"], result

    async def _send_raw(self, tx: Any) -> tuple[TxResult, TxReceipt]:
        signed = self.account.sign_transaction(tx)
        tx_hash = await self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = await self.w3.eth.wait_for_transaction_receipt(tx_hash)
        result = TxResult(
            tx_hash="0x" + bytes(tx_hash).hex(),
            block_number=receipt["blockNumber"],
            gas_used=receipt["gasUsed"],
        )
        if receipt["status"] != 1:
            # The state changed between estimate and mining (a front-run, an expiry): the gas is
            # spent and the hash is the caller's evidence, so it travels with the error.
            reason = await self._replay(tx, receipt["blockNumber"])
            raise reason.mined(result.tx_hash, result.block_number)
        return result, receipt

    async def _replay(self, tx: Any, block_number: int) -> EscrowReverted:
        """Best effort: re-run the call on the state after its block to name the revert."""
        call = {key: tx[key] for key in ("from", "to", "data", "value", "gas") if key in tx}
        try:
            await self.w3.eth.call(call, block_identifier=block_number)
        except ContractLogicError as exc:
            return decode_revert(exc.data)
        except Web3Exception:
            pass
        return EscrowReverted(UNKNOWN, (), "0x")
