"""The pact language: behavioral pacts as validated, hashable documents (docs/pacts.md)."""

from pactline_events.pacts import limits
from pactline_events.pacts.clauses import (
    ALL_PII_CATEGORIES,
    JURY_CLAUSE_KINDS,
    KNOWN_CLAUSE_KINDS,
    AllowedToolsClause,
    Clause,
    ClauseBase,
    ContainsClause,
    Dimension,
    ExactMatchClause,
    ForbiddenToolsClause,
    JsonSchemaClause,
    LengthBoundsClause,
    MaxCostClause,
    MaxLatencyClause,
    MaxTokensClause,
    NoPiiClause,
    NotContainsClause,
    NumericToleranceClause,
    RegexForbiddenClause,
    RegexRequiredClause,
    RubricClause,
    Severity,
)
from pactline_events.pacts.document import PACT_FORMAT, EscrowTerms, PactDocument, PassRule
from pactline_events.pacts.errors import PactError, PactInvalid
from pactline_events.pacts.hashing import pact_hash
from pactline_events.pacts.parsing import parse_pact, validate_pact
from pactline_events.pacts.screening import MEASUREMENT_FIELDS

__all__ = [
    "ALL_PII_CATEGORIES",
    "JURY_CLAUSE_KINDS",
    "KNOWN_CLAUSE_KINDS",
    "MEASUREMENT_FIELDS",
    "PACT_FORMAT",
    "AllowedToolsClause",
    "Clause",
    "ClauseBase",
    "ContainsClause",
    "Dimension",
    "EscrowTerms",
    "ExactMatchClause",
    "ForbiddenToolsClause",
    "JsonSchemaClause",
    "LengthBoundsClause",
    "MaxCostClause",
    "MaxLatencyClause",
    "MaxTokensClause",
    "NoPiiClause",
    "NotContainsClause",
    "NumericToleranceClause",
    "PactDocument",
    "PactError",
    "PactInvalid",
    "PassRule",
    "RegexForbiddenClause",
    "RegexRequiredClause",
    "RubricClause",
    "Severity",
    "limits",
    "pact_hash",
    "parse_pact",
    "validate_pact",
]
