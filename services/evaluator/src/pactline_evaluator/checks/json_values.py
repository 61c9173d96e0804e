"""Checks that read the output as JSON: schema, exact match and numeric tolerance.

Outputs are parsed strictly: numbers become exact decimals (never floats), NaN/Infinity are
refused, and an object naming a key twice is refused, because parsers disagree on which value
wins and a verdict must not depend on the parser.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from decimal import Decimal, localcontext
from typing import Any

import jsonschema_rs

from pactline_events import bounded_json
from pactline_pacts import ExactMatchClause, JsonSchemaClause, NumericToleranceClause
from pactline_pacts.fields import decimal_text

from ..evidence import TaskEvidence
from .result import CheckResult, failed, inconclusive, passed, quoted
from .text_forms import folded

# Numbers with more digits or larger exponents are refused as numbers: exact arithmetic on
# them would cost time and memory in proportion.
MAX_EXPONENT = 1000
MAX_DIGITS = 1000
_EXACT_PRECISION = 2 * MAX_EXPONENT + 2 * MAX_DIGITS + 64
_NUMBER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class NotJson(ValueError):
    """The text is not one unambiguous JSON value."""


class PointerMissing(LookupError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise NotJson(f"key {quoted(duplicate, 60)} appears twice in one object, which makes the JSON ambiguous")
    return result


def about(subject: str, error: NotJson) -> str:
    """A detail for unusable JSON: "the output is not JSON (...)" or "the output: key ... twice"."""
    text = str(error)
    return f"{subject} is {text}" if text.startswith("not") else f"{subject}: {text}"


def _refuse_constant(name: str) -> Any:
    raise NotJson(f"{name} is not JSON")


def parse_json(text: str) -> Any:
    try:
        return bounded_json.parse_json(
            text, object_pairs_hook=_object, parse_float=Decimal, parse_constant=_refuse_constant
        )
    except NotJson:
        raise
    except bounded_json.JsonTooDeep as error:
        raise NotJson(f"not JSON this parser can read: {error}") from None
    except json.JSONDecodeError as error:
        raise NotJson(f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except RecursionError:
        raise NotJson("not JSON this parser can read: nested too deeply") from None
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise NotJson(f"not JSON this parser can read: {error}") from None


def resolve_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901: "" is the whole document; array indices are decimal without leading zeros."""
    if pointer == "":
        return document
    node = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and re.fullmatch(r"0|[1-9][0-9]*", token) and int(token) < len(node):
            node = node[int(token)]
        else:
            raise PointerMissing(pointer)
    return node


# json_schema ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    # Regexes inside schemas run on Rust's linear-time engine; nothing is fetched ($ref to a
    # remote document is unresolvable, not downloaded); formats are annotations only.
    return jsonschema_rs.Draft202012Validator(
        json.loads(schema_text), validate_formats=False, pattern_options=jsonschema_rs.RegexOptions(), offline=True
    )


_SCHEMA_TEXTS: dict[int, tuple[JsonSchemaClause, str]] = {}
_SCHEMA_TEXTS_KEPT = 1024


def _schema_text(clause: JsonSchemaClause) -> str:
    """The clause's schema as sorted JSON text (the validator cache's key), written once per
    clause object: a pact is parsed once and its clauses shared by all its tasks
    (``evaluating.parsed_pact``). An entry holds its clause, so its id is never reused."""
    hit = _SCHEMA_TEXTS.get(id(clause))
    if hit is not None and hit[0] is clause:
        return hit[1]
    text = json.dumps(clause.json_schema, sort_keys=True, separators=(",", ":"))
    if len(_SCHEMA_TEXTS) >= _SCHEMA_TEXTS_KEPT:
        _SCHEMA_TEXTS.clear()
    _SCHEMA_TEXTS[id(clause)] = (clause, text)
    return text


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def json_schema(clause: JsonSchemaClause, task: TaskEvidence) -> CheckResult:
    try:
        value = parse_json(task.output)
    except NotJson as error:
        return failed("not JSON", about("the output", error))
    try:
        validator = _validator(_schema_text(clause))
    except (jsonschema_rs.ValidationError, ValueError) as error:
        return inconclusive(None, f"the schema cannot be used: {str(error).splitlines()[0]}")
    errors = sorted((_pointer(e.instance_path), _pointer(e.schema_path)) for e in validator.iter_errors(value))
    if not errors:
        return passed("0 errors", "the output validates against the schema")
    where, rule = errors[0]
    return failed(
        f"{len(errors)} errors",
        f"{len(errors)} validation error(s); first at {quoted(where or '/', 120)}, against {quoted(rule, 120)}",
    )


# exact_match ---------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    """An exact decimal from a JSON number or a string holding one; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        return None
    if abs(number.adjusted()) > MAX_EXPONENT or len(number.as_tuple().digits) > MAX_DIGITS:
        return None
    return number


def json_equal(a: Any, b: Any) -> bool:
    """Structural equality; numbers by exact value (1 == 1.0), booleans never equal numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
        return Decimal(a) == Decimal(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _text_form(text: str, clause: ExactMatchClause) -> str:
    text = unicodedata.normalize("NFC", text)
    if clause.trim_whitespace:
        text = text.strip()
    return text if clause.case_sensitive else folded(text)


def _scalar_text(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return None


def _same(actual: Any, expected: Any, clause: ExactMatchClause) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        return _text_form(actual, clause) == _text_form(expected, clause)
    if isinstance(actual, str) or isinstance(expected, str):
        text, other = (actual, expected) if isinstance(actual, str) else (expected, actual)
        if isinstance(other, (int, Decimal)) and not isinstance(other, bool):
            number = _number(text)
            return number is not None and number == Decimal(other)
        literal = _scalar_text(other)
        return literal is not None and _text_form(text, clause) == _text_form(literal, clause)
    return json_equal(actual, expected)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal)):
        return "a number"
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return {dict: "an object", list: "an array", type(None): "null"}[type(value)]


def _expected(task: TaskEvidence, pointer: str) -> tuple[Any, CheckResult | None]:
    if task.reference is None:
        return None, inconclusive(None, "the task has no reference")
    if pointer == "":
        return task.reference, None
    try:
        return resolve_pointer(parse_json(task.reference), pointer), None
    except NotJson as error:
        return None, inconclusive(None, about("the reference", error))
    except PointerMissing:
        return None, inconclusive(None, f"the reference has no value at {quoted(pointer, 120)}")


def _actual(task: TaskEvidence, pointer: str) -> tuple[Any, CheckResult | None]:
    if pointer == "":
        return task.output, None
    try:
        return resolve_pointer(parse_json(task.output), pointer), None
    except NotJson as error:
        return None, failed("not JSON", about("the output", error))
    except PointerMissing:
        return None, failed("missing", f"the output has no value at {quoted(pointer, 120)}")


def exact_match(clause: ExactMatchClause, task: TaskEvidence) -> CheckResult:
    expected, problem = _expected(task, clause.reference_pointer)
    if problem:
        return problem
    actual, problem = _actual(task, clause.output_pointer)
    if problem:
        return problem
    if _same(actual, expected, clause):
        return passed("equal", "the value equals the reference")
    return failed("different", f"the value ({_kind(actual)}) differs from the reference ({_kind(expected)})")


# numeric_tolerance ---------------------------------------------------------------------------


def _numeric_value(text: str, pointer: str) -> Any:
    document = parse_json(text)
    return resolve_pointer(document, pointer)


def numeric_tolerance(clause: NumericToleranceClause, task: TaskEvidence) -> CheckResult:
    if task.reference is None:
        return inconclusive(None, "the task has no reference")
    try:
        expected = _number(_numeric_value(task.reference, clause.reference_pointer))
    except (NotJson, PointerMissing):
        expected = None
    if expected is None:
        return inconclusive(None, f"the reference holds no usable number at {quoted(clause.reference_pointer or '/')}")
    try:
        actual = _number(_numeric_value(task.output, clause.output_pointer))
    except NotJson as error:
        return failed("not a number", about("the output", error))
    except PointerMissing:
        return failed("missing", f"the output has no value at {quoted(clause.output_pointer, 120)}")
    if actual is None:
        return failed("not a number", f"the output holds no number at {quoted(clause.output_pointer or '/')}")
    # Exact: digits and exponents are bounded, so this precision never rounds.
    with localcontext(prec=_EXACT_PRECISION):
        difference = abs(actual - expected)
        allowed = clause.tolerance if clause.mode == "absolute" else clause.tolerance * abs(expected)
        measured = decimal_text(difference)
        shown = f"|{decimal_text(actual)} - {decimal_text(expected)}| = {measured}"
        allowed_text = decimal_text(allowed)
    if difference <= allowed:
        return passed(measured, f"{shown} <= allowed {allowed_text} ({clause.mode})")
    return failed(measured, f"{shown} > allowed {allowed_text} ({clause.mode})")
