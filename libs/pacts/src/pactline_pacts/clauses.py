"""Clause models: one frozen model per clause kind, joined in a union discriminated on ``kind``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pactline_pacts import limits
from pactline_pacts.fields import (
    JsonPointer,
    Ratio,
    RegexPattern,
    Slug,
    StrictBool,
    Tolerance,
    ToolName,
    strict_int,
    text,
    unique_tuple,
)

Severity = Literal["must", "should"]
Dimension = Literal["accuracy", "safety", "reliability", "latency", "cost", "format_compliance", "security"]
PiiCategory = Literal["email", "phone", "card_number", "iban", "api_key"]
ALL_PII_CATEGORIES: tuple[PiiCategory, ...] = ("email", "phone", "card_number", "iban", "api_key")

_FROZEN = ConfigDict(
    frozen=True,
    extra="forbid",
    validate_by_alias=True,
    validate_by_name=False,
    serialize_by_alias=True,
)


class ClauseBase(BaseModel):
    """Fields every clause has: what it is called, how much it matters, what it feeds."""

    model_config = _FROZEN

    id: Slug
    severity: Severity
    weight: strict_int(1, limits.WEIGHT_TOTAL)
    dimension: Dimension
    description: text(0, limits.MAX_DESCRIPTION_LENGTH) = ""


# Deterministic clauses -----------------------------------------------------------------------


class JsonSchemaClause(ClauseBase):
    """The output, parsed as JSON, validates against a JSON Schema (Draft 2020-12)."""

    kind: Literal["json_schema"]
    json_schema: dict[str, Any] = Field(alias="schema")


class _RegexClause(ClauseBase):
    pattern: RegexPattern
    ignore_case: StrictBool = False
    multiline: StrictBool = False
    dotall: StrictBool = False


class RegexRequiredClause(_RegexClause):
    """The pattern matches somewhere in the output (``re.search``)."""

    kind: Literal["regex_required"]


class RegexForbiddenClause(_RegexClause):
    """The pattern matches nowhere in the output."""

    kind: Literal["regex_forbidden"]


_Phrases = unique_tuple(text(1, limits.MAX_PHRASE_LENGTH), 1, limits.MAX_PHRASES)


class ContainsClause(ClauseBase):
    """Every phrase appears in the output."""

    kind: Literal["contains"]
    values: _Phrases
    case_sensitive: StrictBool = True


class NotContainsClause(ClauseBase):
    """No phrase appears in the output."""

    kind: Literal["not_contains"]
    values: _Phrases
    case_sensitive: StrictBool = True


class MaxLatencyClause(ClauseBase):
    """The task's measured latency is at most ``limit_ms`` milliseconds."""

    kind: Literal["max_latency_ms"]
    limit_ms: strict_int(1, limits.MAX_LATENCY_LIMIT_MS)


class MaxCostClause(ClauseBase):
    """The task's reported cost is at most ``limit_minor_units`` USDC minor units (6 decimals)."""

    kind: Literal["max_cost"]
    limit_minor_units: strict_int(1, limits.MAX_USDC_MINOR_UNITS)


class MaxTokensClause(ClauseBase):
    """The task used at most ``limit_tokens`` tokens (output only, or input plus output)."""

    kind: Literal["max_tokens"]
    limit_tokens: strict_int(1, limits.MAX_TOKEN_LIMIT)
    scope: Literal["output", "total"] = "output"


class LengthBoundsClause(ClauseBase):
    """The output's length, counted in ``unit``, lies in [min, max]."""

    kind: Literal["length_bounds"]
    unit: Literal["characters", "words", "lines"] = "characters"
    min: strict_int(0, limits.MAX_LENGTH_BOUND) = 0
    max: strict_int(1, limits.MAX_LENGTH_BOUND)


class AllowedToolsClause(ClauseBase):
    """Every tool the agent called is in ``tools`` (an empty list allows no tool at all)."""

    kind: Literal["allowed_tools"]
    tools: unique_tuple(ToolName, 0, limits.MAX_TOOLS)


class ForbiddenToolsClause(ClauseBase):
    """The agent called none of ``tools``."""

    kind: Literal["forbidden_tools"]
    tools: unique_tuple(ToolName, 1, limits.MAX_TOOLS)


class ExactMatchClause(ClauseBase):
    """A value from the output equals the matching value of the task's reference."""

    kind: Literal["exact_match"]
    output_pointer: JsonPointer = ""
    reference_pointer: JsonPointer = ""
    case_sensitive: StrictBool = True
    trim_whitespace: StrictBool = True


class NumericToleranceClause(ClauseBase):
    """A number from the output is within ``tolerance`` of the reference number."""

    kind: Literal["numeric_tolerance"]
    output_pointer: JsonPointer = ""
    reference_pointer: JsonPointer = ""
    tolerance: Tolerance
    mode: Literal["absolute", "relative"] = "absolute"


class NoPiiClause(ClauseBase):
    """The output contains no personal data of the listed categories."""

    kind: Literal["no_pii"]
    categories: unique_tuple(PiiCategory, 1, len(ALL_PII_CATEGORIES)) = ALL_PII_CATEGORIES


# Jury clauses --------------------------------------------------------------------------------


class RubricClause(ClauseBase):
    """The platform's jury scores the output against ``criterion``; it passes at or above
    ``pass_threshold`` (a score in [0, 1])."""

    kind: Literal["rubric"]
    criterion: text(1, limits.MAX_CRITERION_LENGTH)
    pass_threshold: Ratio


DeterministicClause = (
    JsonSchemaClause
    | RegexRequiredClause
    | RegexForbiddenClause
    | ContainsClause
    | NotContainsClause
    | MaxLatencyClause
    | MaxCostClause
    | MaxTokensClause
    | LengthBoundsClause
    | AllowedToolsClause
    | ForbiddenToolsClause
    | ExactMatchClause
    | NumericToleranceClause
    | NoPiiClause
)
JuryClause = RubricClause

Clause = Annotated[DeterministicClause | JuryClause, Field(discriminator="kind")]

CLAUSE_MODELS: dict[str, type[ClauseBase]] = {
    model.model_fields["kind"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in (
        JsonSchemaClause,
        RegexRequiredClause,
        RegexForbiddenClause,
        ContainsClause,
        NotContainsClause,
        MaxLatencyClause,
        MaxCostClause,
        MaxTokensClause,
        LengthBoundsClause,
        AllowedToolsClause,
        ForbiddenToolsClause,
        ExactMatchClause,
        NumericToleranceClause,
        NoPiiClause,
        RubricClause,
    )
}
KNOWN_CLAUSE_KINDS: frozenset[str] = frozenset(CLAUSE_MODELS)
JURY_CLAUSE_KINDS: frozenset[str] = frozenset({"rubric"})
# Clauses checked against what a task reports about itself (its measurements and the tool calls
# it made) rather than against its output: the ones a pact's ``evidence`` requirement is about.
MEASURED_CLAUSE_KINDS: frozenset[str] = frozenset(
    {"max_latency_ms", "max_cost", "max_tokens", "allowed_tools", "forbidden_tools"}
)
