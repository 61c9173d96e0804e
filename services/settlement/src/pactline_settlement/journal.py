"""The journal of intended transactions, and the one signer's nonces.

Every transaction is estimated, given the next nonce, signed and RECORDED (raw bytes and
hash) before it is broadcast, in the same database transaction as the work it settles (a task
marked sent, a batch fixed). Whatever happens next, the journal knows the exact bytes: after
a crash, a dropped broadcast or a reorg the service sends those same bytes again, and a nonce
can be mined once only, so a payment can never happen twice. A bump re-signs the same call
with the same nonce and higher fees; whichever attempt is mined, it is the one payment.

All journal writes go through the lease connection (lease.py): a replica that lost the lease
cannot record, hence cannot send anything new.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3.contract.async_contract import AsyncContractFunction

from pactline_escrow.gas import gas_limit

from .chain import ChainClient, Fees, Receipt, SignedTx
from .store import all_rows, queries

log = logging.getLogger(__name__)

OnRecord = Callable[[asyncpg.Connection, int], Awaitable[None]]
OnFinal = Callable[[asyncpg.Connection, asyncpg.Record, str], Awaitable[None]]


@dataclass(frozen=True)
class GasPolicy:
    priority_fee: int
    multiplier_pct: int
    max_fee: int
    bump_after_blocks: int
    bump_pct: int
    margin_pct: int


@dataclass(frozen=True)
class Recorded:
    tx_id: int
    signed: SignedTx


class Journal:
    def __init__(
        self, chain: ChainClient, account: LocalAccount, chain_id: int, gas: GasPolicy, confirmations: int
    ) -> None:
        self.chain = chain
        self.account = account
        self.chain_id = chain_id
        self.gas = gas
        self.confirmations = confirmations
        self.signer = account.address.lower()

    async def next_nonce(self, conn: asyncpg.Connection) -> int:
        """The journal is the authority while the lease is held; the chain's count catches up
        with transactions mined before the journal existed (or sent by hand with this key)."""
        on_chain = await self.chain.nonce(self.account.address, "latest")
        recorded = await queries.journal.max_nonce(conn, chain_id=self.chain_id, signer=self.signer)
        return max(on_chain, recorded + 1) if recorded is not None else on_chain

    async def record(
        self,
        conn: asyncpg.Connection,
        *,
        kind: str,
        target: str,
        fn: AsyncContractFunction,
        detail: str,
        on_record: OnRecord,
    ) -> Recorded:
        """Estimate (a call that would revert raises EscrowReverted, nothing is recorded), sign
        with the next nonce, and record the transaction with ``on_record``'s changes, atomically."""
        estimate = await self.chain.estimate(fn, self.account.address)
        gas = gas_limit(estimate, self.gas.margin_pct)
        fees = await self.chain.fees(self.gas.multiplier_pct, self.gas.priority_fee, self.gas.max_fee)
        async with conn.transaction():
            nonce = await self.next_nonce(conn)
            signed = await self.chain.sign(self.account, fn, nonce=nonce, gas=gas, fees=fees, chain_id=self.chain_id)
            tx_id = await queries.journal.insert_transaction(
                conn,
                chain_id=self.chain_id,
                signer=self.signer,
                nonce=nonce,
                kind=kind,
                target=target,
                gas=gas,
                detail=detail[:1000],
            )
            await self._record_attempt(conn, tx_id, 1, signed)
            await on_record(conn, tx_id)
        log.info("journaled %s %s as tx %s (nonce %s, 0x%s)", kind, target, tx_id, nonce, signed.tx_hash.hex())
        return Recorded(tx_id, signed)

    async def _record_attempt(self, conn: asyncpg.Connection, tx_id: int, attempt: int, signed: SignedTx) -> None:
        await queries.journal.insert_attempt(
            conn,
            tx_id=tx_id,
            attempt=attempt,
            raw=signed.raw,
            tx_hash=signed.tx_hash,
            max_fee=signed.fees.max_fee,
            priority_fee=signed.fees.priority_fee,
        )

    async def broadcast(self, conn: asyncpg.Connection, tx_id: int, raw: bytes) -> None:
        refused = await self.chain.broadcast(raw)
        if refused is not None:
            # Kept as it is: the next pass looks for a receipt, then sends the same bytes again.
            log.warning("the node refused tx %s for now: %s", tx_id, refused)
            await queries.journal.set_detail(conn, tx_id=tx_id, detail=f"node refused: {refused}"[:1000])
            return
        await queries.journal.mark_broadcast(conn, tx_id=tx_id, sent_block=await self.chain.head())

    async def track(self, conn: asyncpg.Connection, on_final: OnFinal) -> dict[str, int]:
        """Follow every open transaction: record receipts, confirm them at depth, notice those a
        reorg dropped and send them again, replace stuck ones, and release the work of those
        that reverted or whose nonce another transaction used (``on_final`` reopens it)."""
        counts = {"open": 0, "confirmed": 0, "rebroadcast": 0, "reorged": 0, "final": 0}
        rows = await all_rows(queries.journal.open_transactions(conn, chain_id=self.chain_id, signer=self.signer))
        if not rows:
            return counts
        head = await self.chain.head()
        chain_nonce = await self.chain.nonce(self.account.address, "latest")
        for row in rows:
            counts["open"] += 1
            attempts = await all_rows(queries.journal.attempts(conn, tx_id=row["tx_id"]))
            receipt = await self._receipt(attempts)
            if receipt is not None:
                await self._mined(conn, row, receipt, head, counts, on_final)
                continue
            if row["status"] == "mined":
                # It had a receipt and has none now: a reorg dropped it. Same bytes, again.
                log.warning("tx %s (nonce %s) was dropped by a reorg; sending it again", row["tx_id"], row["nonce"])
                async with conn.transaction():
                    await queries.journal.mark_reorged(conn, tx_id=row["tx_id"])
                counts["reorged"] += 1
            elif row["nonce"] < chain_nonce:
                detail = f"nonce {row['nonce']} was used by a transaction this journal did not sign"
                log.error("tx %s superseded: %s", row["tx_id"], detail)
                async with conn.transaction():
                    await queries.journal.mark_superseded(conn, tx_id=row["tx_id"], detail=detail)
                    await on_final(conn, row, "superseded")
                counts["final"] += 1
                continue
            latest = attempts[-1]
            if (
                row["sent_block"] is not None
                and head - row["sent_block"] >= self.gas.bump_after_blocks
                and await self.chain.is_pending(bytes(latest["tx_hash"]))
            ):
                latest = await self._bump(conn, row, latest)
            elif await self.chain.is_pending(bytes(latest["tx_hash"])):
                continue
            await self.broadcast(conn, row["tx_id"], bytes(latest["raw"]))
            counts["rebroadcast"] += 1
        return counts

    async def _receipt(self, attempts: list[asyncpg.Record]) -> Receipt | None:
        for attempt in attempts:
            receipt = await self.chain.receipt(bytes(attempt["tx_hash"]))
            if receipt is not None:
                return receipt
        return None

    async def _mined(self, conn, row, receipt: Receipt, head: int, counts, on_final: OnFinal) -> None:
        async with conn.transaction():
            if row["status"] == "signed" or bytes(row["block_hash"] or b"") != receipt.block_hash:
                await queries.journal.mark_mined(
                    conn,
                    tx_id=row["tx_id"],
                    status="mined",
                    tx_hash=receipt.tx_hash,
                    block_number=receipt.block_number,
                    block_hash=receipt.block_hash,
                    gas_used=receipt.gas_used,
                )
            if head - receipt.block_number + 1 < self.confirmations:
                return
            if receipt.status == 1:
                await queries.journal.mark_confirmed(conn, tx_id=row["tx_id"])
                counts["confirmed"] += 1
                return
            # Reverted, and deep enough that no reorg will change it: the work is free again.
            await queries.journal.mark_mined(
                conn,
                tx_id=row["tx_id"],
                status="reverted",
                tx_hash=receipt.tx_hash,
                block_number=receipt.block_number,
                block_hash=receipt.block_hash,
                gas_used=receipt.gas_used,
            )
            log.error("tx %s (%s %s) reverted on chain", row["tx_id"], row["kind"], row["target"])
            await on_final(conn, row, "reverted")
            counts["final"] += 1

    async def _bump(self, conn, row, latest: asyncpg.Record) -> asyncpg.Record:
        """Same nonce, same call, fees up by bump_pct (never above the cap)."""
        tx = TypedTransaction.from_bytes(HexBytes(bytes(latest["raw"]))).as_dict()
        unsigned = {k: v for k, v in tx.items() if k not in ("v", "r", "s")}
        max_fee = int(latest["max_fee"])
        priority = int(latest["priority_fee"])
        bumped = Fees(
            max_fee=min(self.gas.max_fee, max_fee + max_fee * self.gas.bump_pct // 100),
            priority_fee=priority + max(1, priority * self.gas.bump_pct // 100),
        )
        if bumped.max_fee <= max_fee:
            log.warning(
                "tx %s is stuck at the fee cap %s wei; raise PACTLINE_SETTLEMENT_MAX_FEE_WEI", row["tx_id"], max_fee
            )
            return latest
        bumped = Fees(bumped.max_fee, min(bumped.priority_fee, bumped.max_fee))
        unsigned |= {"maxFeePerGas": bumped.max_fee, "maxPriorityFeePerGas": bumped.priority_fee}
        signed = ChainClient.sign_dict(self.account, unsigned, bumped)
        attempt = latest["attempt"] + 1
        async with conn.transaction():
            await self._record_attempt(conn, row["tx_id"], attempt, signed)
        log.info("tx %s bumped to attempt %s (max fee %s wei)", row["tx_id"], attempt, bumped.max_fee)
        return (await all_rows(queries.journal.attempts(conn, tx_id=row["tx_id"])))[-1]
