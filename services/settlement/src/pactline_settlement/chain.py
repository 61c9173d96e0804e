"""The chain as the settlement service sees it: blocks, confirmed contract logs, fresh job and
pool state, and raw transactions signed here with an explicit nonce and fees.

Everything that talks JSON-RPC is in this module; nothing here decides what to send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.contract.async_contract import AsyncContractFunction
from web3.exceptions import BlockNotFound, ContractLogicError, TransactionNotFound, Web3RPCError

from pactline_escrow import Deployment, EscrowReader
from pactline_escrow.errors import EscrowReverted, decode_revert

from .domain import JobOnChain, JobState

log = logging.getLogger(__name__)


class ChainMismatch(RuntimeError):
    """The RPC serves another chain than the one configured: nothing may be sent."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"the RPC serves chain {actual}, the service is configured for chain {expected}")
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class BlockRef:
    number: int
    hash: bytes
    timestamp: int


@dataclass(frozen=True)
class RawLog:
    """One contract log as read from the chain, decoded with the contract's ABI."""

    contract: str  # "commerce" | "aggregate"
    name: str
    args: dict[str, Any]
    tx_hash: bytes
    log_index: int
    block_number: int
    block_hash: bytes


@dataclass(frozen=True)
class Receipt:
    tx_hash: bytes
    status: int
    block_number: int
    block_hash: bytes
    gas_used: int


@dataclass(frozen=True)
class Fees:
    max_fee: int
    priority_fee: int


@dataclass(frozen=True)
class SignedTx:
    raw: bytes
    tx_hash: bytes
    nonce: int
    gas: int
    fees: Fees


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # uint256 values exceed JSON's safe integers
    return value


class ChainClient:
    def __init__(self, w3: AsyncWeb3, deployment: Deployment) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.reader = EscrowReader(w3, deployment)
        self._by_topic: dict[bytes, tuple[str, Any]] = {}
        for label, contract in (("commerce", self.reader.commerce), ("aggregate", self.reader.aggregate)):
            for entry in contract.abi:
                if entry["type"] == "event":
                    event = contract.events[entry["name"]]()
                    self._by_topic[(label, bytes(HexBytes(event.topic)))] = (entry["name"], event)

    @property
    def addresses(self) -> dict[str, str]:
        return {"commerce": self.reader.commerce.address, "aggregate": self.reader.aggregate.address}

    async def check_chain(self, expected: int) -> None:
        actual = await self.w3.eth.chain_id
        if actual != expected:
            raise ChainMismatch(expected, actual)

    async def head(self) -> int:
        return await self.w3.eth.block_number

    async def block(self, number: int | str = "latest") -> BlockRef | None:
        try:
            block = await self.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        return BlockRef(block["number"], bytes(block["hash"]), block["timestamp"])

    async def now(self) -> int:
        """Chain time: the latest block's timestamp (the contracts' clock)."""
        latest = await self.block("latest")
        assert latest is not None
        return latest.timestamp

    async def logs(self, from_block: int, to_block: int) -> list[RawLog]:
        """Both contracts' logs in [from_block, to_block], in chain order."""
        label_of = {address.lower(): label for label, address in self.addresses.items()}
        raw = await self.w3.eth.get_logs(
            {"fromBlock": from_block, "toBlock": to_block, "address": list(self.addresses.values())}
        )
        out = []
        for entry in raw:
            label = label_of[entry["address"].lower()]
            found = self._by_topic.get((label, bytes(entry["topics"][0]))) if entry["topics"] else None
            if found is None:
                continue
            name, event = found
            decoded = event.process_log(entry)
            out.append(
                RawLog(
                    contract=label,
                    name=name,
                    args={k: _plain(v) for k, v in decoded["args"].items()},
                    tx_hash=bytes(entry["transactionHash"]),
                    log_index=entry["logIndex"],
                    block_number=entry["blockNumber"],
                    block_hash=bytes(entry["blockHash"]),
                )
            )
        out.sort(key=lambda lg: (lg.block_number, lg.log_index))
        return out

    async def job(self, job_id: int, deliverable: bytes | None = None) -> JobOnChain | None:
        try:
            job = await self.reader.get_job(job_id)
        except EscrowReverted as exc:
            if exc.error == "AgenticCommerceJobNotFound":
                return None
            raise
        return JobOnChain(
            job_id=job_id,
            client=job.client,
            provider=job.provider,
            evaluator=job.evaluator,
            token=job.token,
            budget=job.budget,
            expired_at=job.expired_at,
            status=JobState(int(job.status)),
            deliverable=deliverable,
        )

    async def pool(self, pool_id: bytes):
        try:
            return await self.reader.get_pool(pool_id)
        except EscrowReverted as exc:
            if exc.error == "AggregateEscrowPoolNotFound":
                return None
            raise

    async def batch_root(self, pool_id: bytes, batch_seq: int) -> bytes:
        return await self.reader.batch_root(pool_id, batch_seq)

    async def nonce(self, address: str, block: str = "latest") -> int:
        return await self.w3.eth.get_transaction_count(address, block)

    async def fees(self, multiplier_pct: int, priority_fee: int, max_fee_cap: int) -> Fees:
        latest = await self.w3.eth.get_block("latest")
        base = latest.get("baseFeePerGas", 0) or 0
        max_fee = min(max_fee_cap, base * multiplier_pct // 100 + priority_fee)
        return Fees(max_fee=max_fee, priority_fee=min(priority_fee, max_fee))

    async def estimate(self, fn: AsyncContractFunction, sender: str) -> int:
        """Gas for the call; a call that would revert raises EscrowReverted (nothing is sent)."""
        try:
            return await fn.estimate_gas({"from": sender})
        except ContractLogicError as exc:
            raise decode_revert(exc.data) from exc

    async def sign(
        self, account: LocalAccount, fn: AsyncContractFunction, *, nonce: int, gas: int, fees: Fees, chain_id: int
    ) -> SignedTx:
        tx = await fn.build_transaction(
            {
                "from": account.address,
                "nonce": nonce,
                "gas": gas,
                "maxFeePerGas": fees.max_fee,
                "maxPriorityFeePerGas": fees.priority_fee,
                "chainId": chain_id,
            }
        )
        return self.sign_dict(account, tx, fees)

    @staticmethod
    def sign_dict(account: LocalAccount, tx: dict[str, Any], fees: Fees) -> SignedTx:
        signed = account.sign_transaction(tx)
        return SignedTx(
            raw=bytes(signed.raw_transaction),
            tx_hash=bytes(signed.hash),
            nonce=tx["nonce"],
            gas=tx["gas"],
            fees=fees,
        )

    async def broadcast(self, raw: bytes) -> str | None:
        """Send a signed transaction; None when the node took it (or already had it), else the
        node's reason. Sending the same bytes again is always harmless."""
        try:
            await self.w3.eth.send_raw_transaction(raw)
        except Web3RPCError as exc:
            message = str(exc)
            if "already known" in message.lower() or "already imported" in message.lower():
                return None
            return message
        return None

    async def receipt(self, tx_hash: bytes) -> Receipt | None:
        try:
            found = await self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        if found is None or found.get("blockNumber") is None:
            return None
        return Receipt(
            tx_hash=tx_hash,
            status=found["status"],
            block_number=found["blockNumber"],
            block_hash=bytes(found["blockHash"]),
            gas_used=found["gasUsed"],
        )

    async def is_pending(self, tx_hash: bytes) -> bool:
        try:
            tx = await self.w3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return False
        return tx is not None and tx.get("blockNumber") is None
