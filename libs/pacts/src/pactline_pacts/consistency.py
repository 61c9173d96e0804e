"""Checks that span fields or need another library: clause ids, weight total, length bounds,
JSON Schema validity and escrow terms. They read the raw data defensively, so they run (and
report) alongside model validation instead of after it."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from pactline_pacts import limits
from pactline_pacts.clauses import MEASURED_CLAUSE_KINDS
from pactline_pacts.errors import PactError, join_pointer

_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_META_VALIDATOR = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)


def check_consistency(data: dict[str, Any]) -> list[PactError]:
    errors: list[PactError] = []
    clauses = data.get("clauses")
    if isinstance(clauses, list):
        clause_dicts = [(i, c) for i, c in enumerate(clauses) if isinstance(c, dict)]
        _check_ids(clause_dicts, errors)
        _check_weights(clauses, errors)
        for index, clause in clause_dicts:
            kind = clause.get("kind")
            if kind == "length_bounds":
                _check_length_bounds(index, clause, errors)
            elif kind == "json_schema":
                _check_json_schema(index, clause, errors)
    escrow = data.get("escrow")
    if isinstance(escrow, dict):
        _check_escrow(escrow, errors)
    if isinstance(data.get("evidence"), dict) and isinstance(clauses, list):
        _check_evidence(clauses, errors)
    return errors


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_ids(clauses: list[tuple[int, dict[str, Any]]], errors: list[PactError]) -> None:
    first_use: dict[str, int] = {}
    for index, clause in clauses:
        clause_id = clause.get("id")
        if not isinstance(clause_id, str):
            continue
        if clause_id in first_use:
            errors.append(
                PactError(
                    f"/clauses/{index}/id",
                    f'duplicate clause id "{clause_id[:100]}"; /clauses/{first_use[clause_id]} '
                    "already uses it (ids must be unique within the pact)",
                )
            )
        else:
            first_use[clause_id] = index


def _check_weights(clauses: list[Any], errors: list[PactError]) -> None:
    # Only meaningful when every weight is a positive integer; bad ones are reported per clause.
    weights = [c.get("weight") if isinstance(c, dict) else None for c in clauses]
    if not weights or not all(_is_int(w) and w >= 1 for w in weights):
        return
    total = sum(weights)
    if total != limits.WEIGHT_TOTAL:
        listed = " + ".join(str(w) for w in weights)
        errors.append(
            PactError(
                "/clauses",
                f"clause weights add up to {total} ({listed}); they must add up to exactly "
                f"{limits.WEIGHT_TOTAL} ({'add' if total < limits.WEIGHT_TOTAL else 'remove'} "
                f"{abs(limits.WEIGHT_TOTAL - total)})",
            )
        )


def _check_length_bounds(index: int, clause: dict[str, Any], errors: list[PactError]) -> None:
    low, high = clause.get("min", 0), clause.get("max")
    if _is_int(low) and _is_int(high) and low > high:
        errors.append(
            PactError(
                f"/clauses/{index}/min",
                f"min ({low}) is greater than max ({high}); no output could pass",
            )
        )


def _check_json_schema(index: int, clause: dict[str, Any], errors: list[PactError]) -> None:
    schema = clause.get("schema")
    pointer = f"/clauses/{index}/schema"
    if not isinstance(schema, dict):
        return  # the model reports the wrong type
    declared = schema.get("$schema")
    if declared is not None and declared != _DRAFT_2020_12:
        errors.append(
            PactError(
                join_pointer(pointer, "$schema"),
                f'only JSON Schema Draft 2020-12 is supported: omit $schema or set it to "{_DRAFT_2020_12}"',
            )
        )
    for count, error in enumerate(_META_VALIDATOR.iter_errors(schema)):
        if count == limits.MAX_ERRORS_PER_SCHEMA:
            break
        where = pointer
        for token in error.absolute_path:
            where = join_pointer(where, token)
        errors.append(PactError(where, f"not a valid JSON Schema (Draft 2020-12): {error.message}"))


def _check_escrow(escrow: dict[str, Any], errors: list[PactError]) -> None:
    modes = escrow.get("modes")
    pool = escrow.get("max_pool_size")
    price = escrow.get("min_task_price")
    if pool is not None and isinstance(modes, list) and "aggregate" not in modes:
        errors.append(
            PactError(
                "/escrow/max_pool_size",
                'max_pool_size applies only to the "aggregate" mode, which modes does not offer',
            )
        )
    if _is_int(pool) and _is_int(price) and pool < price:
        errors.append(
            PactError(
                "/escrow/max_pool_size",
                f"max_pool_size ({pool}) is smaller than min_task_price ({price}); "
                "a pool could not pay for a single task",
            )
        )


def _check_evidence(clauses: list[Any], errors: list[PactError]) -> None:
    kinds = {c.get("kind") for c in clauses if isinstance(c, dict)}
    if not kinds & MEASURED_CLAUSE_KINDS:
        errors.append(
            PactError(
                "/evidence",
                "evidence applies to the measured clauses (" + ", ".join(sorted(MEASURED_CLAUSE_KINDS)) + "), "
                "and this pact has none; remove evidence or add such a clause",
            )
        )
