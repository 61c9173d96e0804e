"""Constrained field types shared by the clause and document models (slugs, decimals, regexes)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from pactline_pacts import limits

_DECIMAL_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
JSON_POINTER_PATTERN = r"^(/([^~/]|~[01])*)*$"
TOOL_NAME_PATTERN = r"^[A-Za-z0-9_.:-]+$"

T = TypeVar("T")


def float_message(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "NaN and Infinity are not allowed in a pact; every number is a finite integer"
    return (
        f"floats are not allowed in a pact (got {value!r}); numbers are integers, and ratios, "
        f'thresholds and tolerances are decimal strings: write "{value!r}" as a string'
    )


def _decimal_from_text(value: Any) -> Any:
    """Accept a decimal string (or an exact integer); refuse floats, exponents and NaN."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_string", 'expected a decimal string such as "0.8"')
    if isinstance(value, float):
        raise PydanticCustomError("float_not_allowed", float_message(value))
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise PydanticCustomError("decimal_string", 'expected a decimal string such as "0.8"')
    if len(value) > limits.MAX_DECIMAL_STRING_LENGTH or not _DECIMAL_TEXT.fullmatch(value):
        raise PydanticCustomError(
            "decimal_string",
            'expected a plain decimal string such as "0.8" (digits, an optional "-" and one '
            "optional decimal point; no exponent, spaces or leading zeros), got {value}",
            {"value": repr(value[:50])},
        )
    return Decimal(value)


def decimal_text(value: Decimal) -> str:
    """The normal form a decimal is hashed in: no exponent, no trailing zeros ("0.80" -> "0.8")."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _unique(items: tuple[T, ...]) -> tuple[T, ...]:
    seen: set[T] = set()
    for item in items:
        if item in seen:
            raise PydanticCustomError("duplicate_item", "{item} is listed twice", {"item": repr(item)})
        seen.add(item)
    return items


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        raise PydanticCustomError(
            "invalid_regex",
            "invalid regular expression (Python re syntax): {reason}{where}",
            {"reason": error.msg, "where": where},
        ) from None
    return pattern


def _ratio_or_decimal(ge: int, le: int | None, places: int) -> Any:
    return Annotated[
        Decimal,
        BeforeValidator(_decimal_from_text),
        Field(ge=ge, le=le, decimal_places=places),
        PlainSerializer(decimal_text, return_type=str, when_used="always"),
        # What a non-Python consumer sees in exported schemas: the wire form, a string.
        WithJsonSchema(
            {
                "type": "string",
                "pattern": "^" + _DECIMAL_TEXT.pattern + "$",
                "description": f"decimal string in [{ge}, {le}], at most {places} decimal places",
            }
        ),
    ]


def unique_tuple(item: Any, min_length: int, max_length: int) -> Any:
    return Annotated[
        tuple[item, ...],
        Field(min_length=min_length, max_length=max_length),
        AfterValidator(_unique),
    ]


def strict_int(ge: int, le: int) -> Any:
    return Annotated[int, Strict(), Field(ge=ge, le=le)]


def text(min_length: int, max_length: int) -> Any:
    return Annotated[str, Strict(), StringConstraints(min_length=min_length, max_length=max_length)]


Ratio = _ratio_or_decimal(0, 1, limits.MAX_RATIO_DECIMAL_PLACES)
"""A decimal string in [0, 1], e.g. "0.8"; at most 4 decimal places."""

# Bounded so every accepted value has fewer significant digits than Decimal's default context
# (28): normalizing it for the hash can then never round.
Tolerance = _ratio_or_decimal(0, limits.MAX_TOLERANCE, limits.MAX_TOLERANCE_DECIMAL_PLACES)
"""A non-negative decimal string up to 10^12, e.g. "0.01"; at most 6 decimal places."""

Slug = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=limits.MAX_NAME_LENGTH, pattern=SLUG_PATTERN),
]
"""Lowercase letters and digits in hyphen-separated groups, starting with a letter."""

JsonPointer = Annotated[
    str,
    Strict(),
    StringConstraints(max_length=limits.MAX_JSON_POINTER_LENGTH, pattern=JSON_POINTER_PATTERN),
]
ToolName = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=limits.MAX_TOOL_NAME_LENGTH, pattern=TOOL_NAME_PATTERN),
]
RegexPattern = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=limits.MAX_REGEX_LENGTH),
    AfterValidator(_compiles),
]
StrictBool = Annotated[bool, Strict()]
