"""The pact language: behavioral pacts as validated, hashable documents (docs/pacts.md)."""

from pactline_pacts import limits
from pactline_pacts.clauses import (
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
from pactline_pacts.document import PACT_FORMAT, EscrowTerms, PactDocument, PassRule
from pactline_pacts.errors import PactError, PactInvalid
from pactline_pacts.hashing import pact_hash
from pactline_pacts.parsing import parse_pact, validate_pact
from pactline_pacts.screening import MEASUREMENT_FIELDS

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
