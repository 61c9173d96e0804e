"""From JSON or YAML bytes to a validated PactDocument, with every error at a JSON pointer."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from pactline_pacts import limits
from pactline_pacts.clauses import CLAUSE_MODELS
from pactline_pacts.consistency import check_consistency
from pactline_pacts.document import EscrowTerms, EvidenceRequirement, PactDocument, PassRule
from pactline_pacts.errors import PactError, PactInvalid, join_pointer
from pactline_pacts.fields import JSON_POINTER_PATTERN, SLUG_PATTERN, TOOL_NAME_PATTERN
from pactline_pacts.screening import DuplicateKeyDict, screen

JSON_CONTENT_TYPES = frozenset({"application/json"})
YAML_CONTENT_TYPES = frozenset({"application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml"})

_PATTERN_MESSAGES = {
    SLUG_PATTERN: "must be a slug: lowercase letters and digits in hyphen-separated groups, "
    'starting with a letter (e.g. "no-pii-leak")',
    JSON_POINTER_PATTERN: 'must be a JSON pointer (RFC 6901): "" for the whole value or "/a/0/b"',
    TOOL_NAME_PATTERN: "must be a tool name: letters, digits and _ . : - only",
}
# Errors screening reports better (unknown or missing clause kind).
_REPLACED_ERROR_TYPES = frozenset({"union_tag_invalid", "union_tag_not_found"})


def parse_pact(raw: bytes | str, content_type: str) -> PactDocument:
    """Parse and validate a pact given as JSON or YAML text; raise PactInvalid on any problem."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in JSON_CONTENT_TYPES | YAML_CONTENT_TYPES:
        raise PactInvalid(
            [
                PactError(
                    "",
                    f'unsupported content type "{content_type}"; use application/json, application/yaml or text/yaml',
                )
            ]
        )
    encoded = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    if len(encoded) > limits.MAX_DOCUMENT_BYTES:
        raise PactInvalid(
            [
                PactError(
                    "",
                    f"document is {len(encoded)} bytes; the limit is {limits.MAX_DOCUMENT_BYTES}",
                )
            ]
        )
    try:
        text = encoded.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PactInvalid([PactError("", f"document is not UTF-8 (invalid byte at offset {error.start})")]) from None
    text = text.removeprefix("\ufeff")
    data = _load_json(text) if media_type in JSON_CONTENT_TYPES else _load_yaml(text)
    return validate_pact(data)


def validate_pact(data: dict[str, Any]) -> PactDocument:
    """Validate already-parsed pact data (plain JSON values); raise PactInvalid listing every
    problem found."""
    errors = screen(data)
    if not isinstance(data, dict) or any("nested deeper" in e.message for e in errors):
        raise PactInvalid(errors)
    screened = [e.pointer for e in errors]
    errors += check_consistency(data)
    try:
        document = PactDocument.model_validate(data)
    except ValidationError as invalid:
        for detail in invalid.errors(include_url=False):
            if detail["type"] in _REPLACED_ERROR_TYPES:
                continue
            pointer = _pointer_for(detail["loc"], data)
            if any(pointer == p or pointer.startswith(p + "/") for p in screened):
                continue  # already reported, more precisely, by screening
            errors.append(PactError(pointer, _message_for(detail)))
    else:
        if not errors:
            return document
    raise PactInvalid(errors)


# Loading -----------------------------------------------------------------------------------


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = DuplicateKeyDict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicates = [key for key, _ in pairs if key in seen or seen.add(key)]
        result.duplicate_keys = tuple(dict.fromkeys(duplicates))
    return result


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_json_object, parse_constant=float)
    except json.JSONDecodeError as error:
        message = f"JSON syntax error at line {error.lineno}, column {error.colno}: {error.msg}"
    except RecursionError:
        message = f"JSON is nested too deeply (the limit is {limits.MAX_NESTING_DEPTH} levels)"
    except ValueError as error:  # e.g. an integer with more digits than Python will convert
        message = f"JSON could not be read: {error}"
    raise PactInvalid([PactError("", message)])


class _PactYamlLoader(yaml.SafeLoader):
    """Safe YAML without aliases (they can expand a small file into a huge document) and
    without duplicate keys (which YAML would silently resolve to the last one)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in a pact", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # unhashable key: the base constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_PactYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        message = f"YAML syntax error{where}: {problem}"
    except yaml.YAMLError as error:
        message = f"YAML syntax error: {error}"
    except RecursionError:
        message = f"YAML is nested too deeply (the limit is {limits.MAX_NESTING_DEPTH} levels)"
    raise PactInvalid([PactError("", message)])


# Pydantic errors to pointers -----------------------------------------------------------------


def _pointer_for(loc: tuple[int | str, ...], data: Any) -> str:
    """Turn a pydantic location into a JSON pointer into the submitted data.

    Pydantic inserts the discriminator value (the clause kind) into locations inside a tagged
    union; it is not a key of the document, so it is dropped.
    """
    pointer, node = "", data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("kind") == part:
            continue
        pointer = join_pointer(pointer, part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return pointer


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = PactDocument
    for part in loc:
        if part == "pass_rule" and model is PactDocument:
            model = PassRule
        elif part == "escrow" and model is PactDocument:
            model = EscrowTerms
        elif part == "evidence" and model is PactDocument:
            model = EvidenceRequirement
        elif part == "clauses" and model is PactDocument:
            model = None
        elif isinstance(part, str) and part in CLAUSE_MODELS and model is None:
            model = CLAUSE_MODELS[part]
        elif isinstance(part, int):
            continue
        else:
            return None
    return model


def _message_for(detail: Any) -> str:
    kind, loc = detail["type"], detail["loc"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = ""
        if model is not None:
            names = sorted(f.alias or name for name, f in model.model_fields.items())
            known = f"; allowed fields here: {', '.join(names)}"
        return f'unknown field "{loc[-1]}"{known}'
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        pattern = detail.get("ctx", {}).get("pattern")
        if pattern in _PATTERN_MESSAGES:
            return _PATTERN_MESSAGES[pattern]
    return str(detail["msg"])
