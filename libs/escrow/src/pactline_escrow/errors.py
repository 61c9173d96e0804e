"""Named reverts: turns a contract's custom-error revert data into an `EscrowReverted`."""

from __future__ import annotations

from functools import cache
from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from pactline_escrow.artifacts import artifact_names, load_artifact


class EscrowReverted(Exception):
    """A call reverted; `error` is the custom error's name (e.g. AgenticCommerceInvalidState)."""

    def __init__(self, error: str, args: tuple[Any, ...], data: str) -> None:
        super().__init__(f"{error}{args}")
        self.error = error
        self.error_args = args
        self.data = data


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


def decode_revert(data: str | bytes | None) -> EscrowReverted:
    """Decode revert data; unknown or empty data gives error name 'Unknown'."""
    raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else (data or b"")
    hex_data = "0x" + raw.hex()
    entry = _error_table().get(raw[:4]) if len(raw) >= 4 else None
    if entry is None:
        return EscrowReverted("Unknown", (), hex_data)
    name, types = entry
    values = decode(list(types), raw[4:])
    args = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True))
    return EscrowReverted(name, args, hex_data)
