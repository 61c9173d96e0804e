"""Named failures of the escrow client: contract reverts decoded by custom-error name, and the
checks the client makes before it signs anything (right chain, no mock token on a real one)."""

from __future__ import annotations

from functools import cache
from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from pactline_escrow.artifacts import artifact_names, load_artifact

UNKNOWN = "Unknown"


class EscrowReverted(Exception):
    """A call reverted; `error` is the custom error's name (e.g. AgenticCommerceInvalidState).

    `tx_hash` is set when the transaction was mined and reverted on chain (it then cost gas and
    is visible on an explorer); it is None when the revert was caught before broadcasting.
    `malformed` is True when the data named a known error but its arguments did not decode.
    """

    def __init__(
        self,
        error: str,
        args: tuple[Any, ...],
        data: str,
        *,
        malformed: bool = False,
        tx_hash: str | None = None,
        block_number: int | None = None,
    ) -> None:
        where = f" in mined transaction {tx_hash}" if tx_hash else ""
        super().__init__(f"{error}{args}{where}")
        self.error = error
        self.error_args = args
        self.data = data
        self.malformed = malformed
        self.tx_hash = tx_hash
        self.block_number = block_number

    def mined(self, tx_hash: str, block_number: int) -> EscrowReverted:
        """The same revert, attributed to a transaction that was mined."""
        return EscrowReverted(
            self.error,
            self.error_args,
            self.data,
            malformed=self.malformed,
            tx_hash=tx_hash,
            block_number=block_number,
        )


class ChainMismatch(RuntimeError):
    """The RPC serves another chain than the one the deployment file was written for."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the deployment is for chain {expected} but the RPC serves chain {actual}: "
            "check PACTLINE_ETH_RPC_URL and PACTLINE_DEPLOYMENT_FILE; nothing was sent"
        )
        self.expected = expected
        self.actual = actual


class MockTokenRefused(RuntimeError):
    """Anyone can mint MockUSDC, so it is only ever deployed on a local development chain."""

    def __init__(self, chain_id: int) -> None:
        super().__init__(
            f"refusing to deploy the mintable MockUSDC on chain {chain_id} (only on local chains "
            "31337 and 1337): set PACTLINE_USDC_ADDRESS to the network's real USDC"
        )
        self.chain_id = chain_id


def _signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"


@cache
def _error_table() -> dict[bytes, tuple[str, tuple[str, ...]]]:
    # Error ABIs include those raised by libraries (SafeERC20, ReentrancyGuard), so the union of
    # the shipped artifacts covers everything our contracts can revert with.
    table: dict[bytes, tuple[str, tuple[str, ...]]] = {}
    for name in artifact_names():
        for entry in load_artifact(name).abi:
            if entry["type"] == "error":
                selector = keccak(text=_signature(entry))[:4]
                table[selector] = (entry["name"], tuple(i["type"] for i in entry["inputs"]))
    table[keccak(text="Error(string)")[:4]] = ("Error", ("string",))
    table[keccak(text="Panic(uint256)")[:4]] = ("Panic", ("uint256",))
    return table


def _as_bytes(data: object) -> bytes:
    """Revert data as RPCs and web3 hand it over: hex text, bytes, or something unusable."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    if isinstance(data, str):
        text = data[2:] if data[:2] in ("0x", "0X") else data
        try:
            return bytes.fromhex(text)
        except ValueError:
            return b""
    return b""


def decode_revert(data: object) -> EscrowReverted:
    """Decode revert data. Never raises: unknown or unusable data gives error name 'Unknown', and
    a known selector with undecodable arguments gives that name with `malformed=True`."""
    raw = _as_bytes(data)
    hex_data = "0x" + raw.hex()
    entry = _error_table().get(raw[:4]) if len(raw) >= 4 else None
    if entry is None:
        return EscrowReverted(UNKNOWN, (), hex_data)
    name, types = entry
    try:
        values = decode(list(types), raw[4:])
        args = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True))
    except Exception:  # any decoding failure of hostile bytes: report it, never raise
        return EscrowReverted(name, (), hex_data, malformed=True)
    return EscrowReverted(name, args, hex_data)
