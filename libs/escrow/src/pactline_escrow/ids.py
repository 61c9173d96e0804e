"""How Pactline's identifiers become the contracts' bytes32 values.

One rule for every identifier that goes on chain (acceptance ids in pool ids, task ids in
verdict leaves): keccak256 of the identifier's UTF-8 bytes, exactly as the event carries it
(for example "tsk-0191e0a5000070008000000000000042"). Any language recomputes it without
knowing how the id was generated.
"""

from __future__ import annotations

from eth_utils import keccak


def bytes32_from_identifier(identifier: str) -> bytes:
    """keccak256(utf8(identifier)): the on-chain form of an acceptance or task id."""
    if not identifier:
        raise ValueError("an identifier is never empty")
    return keccak(identifier.encode("utf-8"))


def parse_bytes32(text: str) -> bytes:
    """`0x` + 64 hex digits verbatim, or a Pactline identifier (see `bytes32_from_identifier`)."""
    if text.startswith("0x"):
        if len(text) != 66:
            raise ValueError(f"expected 0x + 64 hex digits, got {text!r}")
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            raise ValueError(f"not hex: {text!r}") from None
    return bytes32_from_identifier(text)
