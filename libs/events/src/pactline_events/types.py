"""Constrained scalar types shared by every event payload (money, hashes, addresses, ratios)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, StrictInt


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a UTC offset")
    return value.astimezone(UTC)


TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_timestamp(value: datetime) -> str:
    """UTC, microsecond precision, ``Z`` suffix: exactly one text form per instant, the
    ``TIMESTAMP_FORMAT`` one. Written by ``isoformat``, which takes half of strftime's time and
    gives the same text from the year 1000 on; before it strftime does not pad the year."""
    utc = _aware_utc(value)
    if utc.year < 1000:
        return utc.strftime(TIMESTAMP_FORMAT)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_aware_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]

# Token amounts in minor units (USDC has 6 decimals: 1 USDC = 1_000_000). Never a float.
Amount = Annotated[StrictInt, Field(ge=0, description="Token amount in integer minor units")]
Count = Annotated[StrictInt, Field(ge=0)]
# A ratio or score as a decimal string, e.g. "0.85"; parsed with Decimal, never float.
DecimalStr = Annotated[str, Field(pattern=r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$", description="Decimal number as a string")]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lowercase hex")]
Bytes32Hex = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", description="32 bytes, 0x-hex")]
EvmAddress = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="EVM address, 0x-prefixed hex")]
# uint256 values (on-chain job and pool ids) exceed the 53-bit safe integer range of many
# JSON readers, so they travel as decimal strings.
Uint256Str = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]{0,77})$", description="uint256 as a decimal string")]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


class ModelFamily(StrEnum):
    """Model families: judges of the agent's own family never sit on its jury."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"
    META = "meta"
    MISTRAL = "mistral"
    OTHER = "other"


class Outcome(StrEnum):
    PASS = "PASS"  # noqa: S105 - an outcome, not a password
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


class EscrowMode(StrEnum):
    PER_TASK = "per_task"
    AGGREGATE = "aggregate"
