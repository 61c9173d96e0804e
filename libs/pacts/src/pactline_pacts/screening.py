"""Checks on the raw parsed data before it meets the models: JSON-only values, no floats, size
and depth bounds, duplicate keys, measurement fields the platform owns, known clause kinds."""

from __future__ import annotations

from typing import Any

from pactline_pacts import limits
from pactline_pacts.clauses import KNOWN_CLAUSE_KINDS
from pactline_pacts.errors import PactError, join_pointer
from pactline_pacts.fields import float_message

# Field names (compared case-insensitively, "-" read as "_") that would let a pact choose how
# it is measured. The platform picks judges, models, prompts and sampling for every pact alike.
MEASUREMENT_FIELDS: frozenset[str] = frozenset(
    {
        "judge",
        "judges",
        "jury",
        "juror",
        "jurors",
        "panel",
        "model",
        "models",
        "prompt",
        "prompts",
        "system_prompt",
        "sampling_rate",
        "sample_rate",
        "temperature",
        "top_p",
    }
)

_KNOWN_KINDS_TEXT = ", ".join(sorted(KNOWN_CLAUSE_KINDS))


class DuplicateKeyDict(dict):
    """A JSON object that named some keys twice; the parser records them for screening."""

    duplicate_keys: tuple[str, ...] = ()


def is_measurement_field(key: str) -> bool:
    return key.lower().replace("-", "_") in MEASUREMENT_FIELDS


def measurement_field_message(key: str) -> str:
    return (
        f'"{key}" cannot be set by a pact: the platform chooses the judges, models, prompts '
        "and sampling rate, so every pact is measured the same way. A pact says what the agent "
        "commits to (clauses, weights, thresholds), never how it is measured; remove this field"
    )


def screen(data: Any) -> list[PactError]:
    """Every problem the raw data has on its own, before model validation."""
    errors: list[PactError] = []
    if not isinstance(data, dict):
        return [PactError("", f"a pact must be a JSON object, got {_type_name(data)}")]
    _walk(data, "", 0, errors, measurement_scope=True)
    _screen_clause_kinds(data, errors)
    return errors


def _walk(value: Any, pointer: str, depth: int, errors: list[PactError], *, measurement_scope: bool) -> None:
    if depth > limits.MAX_NESTING_DEPTH:
        errors.append(PactError(pointer, f"nested deeper than {limits.MAX_NESTING_DEPTH} levels"))
        return
    if isinstance(value, float):
        errors.append(PactError(pointer, float_message(value)))
    elif isinstance(value, str):
        if len(value) > limits.MAX_STRING_LENGTH:
            errors.append(
                PactError(
                    pointer,
                    f"string of {len(value)} characters is longer than the limit of {limits.MAX_STRING_LENGTH}",
                )
            )
    elif isinstance(value, dict):
        for key in getattr(value, "duplicate_keys", ()):
            errors.append(PactError(join_pointer(pointer, key), f'key "{key}" appears twice'))
        for key, item in value.items():
            if not isinstance(key, str):
                errors.append(
                    PactError(
                        join_pointer(pointer, str(key)),
                        f"object key {key!r} is not a string; keys must be strings (quote it)",
                    )
                )
                continue
            child = join_pointer(pointer, key)
            if len(key) > limits.MAX_STRING_LENGTH:
                errors.append(PactError(child, "object key is longer than the string limit"))
                continue
            if measurement_scope and is_measurement_field(key):
                errors.append(PactError(child, measurement_field_message(key)))
                continue
            # A json_schema clause's schema is the operator's own data shape: a property
            # called "model" there describes the output, not how the pact is measured.
            inner_scope = measurement_scope and not (_is_clause_pointer(pointer) and key == "schema")
            _walk(item, child, depth + 1, errors, measurement_scope=inner_scope)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(
                item,
                join_pointer(pointer, index),
                depth + 1,
                errors,
                measurement_scope=measurement_scope,
            )
    elif not (value is None or isinstance(value, (bool, int))):
        errors.append(
            PactError(
                pointer,
                f"{_type_name(value)} is not a JSON value; write it as a string "
                "(YAML reads unquoted dates and times as timestamps)",
            )
        )


def _screen_clause_kinds(data: dict[str, Any], errors: list[PactError]) -> None:
    clauses = data.get("clauses")
    if not isinstance(clauses, list):
        return
    for index, clause in enumerate(clauses):
        if not isinstance(clause, dict):
            continue
        pointer = f"/clauses/{index}/kind"
        if "kind" not in clause:
            errors.append(PactError(pointer, f"a clause needs a kind; known kinds: {_KNOWN_KINDS_TEXT}"))
        elif not isinstance(clause["kind"], str):
            errors.append(PactError(pointer, f"clause kind must be a string; known kinds: {_KNOWN_KINDS_TEXT}"))
        elif clause["kind"] not in KNOWN_CLAUSE_KINDS:
            errors.append(
                PactError(
                    pointer,
                    f'unknown clause kind "{clause["kind"][:100]}"; known kinds: {_KNOWN_KINDS_TEXT}',
                )
            )


def _is_clause_pointer(pointer: str) -> bool:
    parts = pointer.split("/")
    return len(parts) == 3 and parts[1] == "clauses" and parts[2].isdigit()


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        int: "an integer",
        bool: "a boolean",
        float: "a float",
        type(None): "null",
    }.get(type(value), type(value).__name__)
