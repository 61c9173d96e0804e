"""How Pactline's identifiers become the contracts' bytes32 values."""

from __future__ import annotations

from uuid import UUID


def bytes32_from_uuid(value: UUID) -> bytes:
    """A UUID (acceptance or task id) as bytes32: its 16 bytes, left-padded with zeros."""
    return value.bytes.rjust(32, b"\x00")


def parse_bytes32(text: str) -> bytes:
    """Accept `0x` + 64 hex digits, or a UUID (converted with `bytes32_from_uuid`)."""
    if text.startswith("0x") and len(text) == 66:
        return bytes.fromhex(text[2:])
    try:
        return bytes32_from_uuid(UUID(text))
    except ValueError:
        raise ValueError(f"expected 0x-prefixed 32-byte hex or a UUID, got {text!r}") from None
