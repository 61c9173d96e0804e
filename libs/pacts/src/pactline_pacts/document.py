"""The pact document model: clauses, pass rule, dispute window and the escrow terms offered."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pactline_pacts import limits
from pactline_pacts.clauses import Clause
from pactline_pacts.fields import Ratio, Slug, strict_int, text, unique_tuple

PACT_FORMAT = "pactline.pact/v1"

_FROZEN = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True)

_Minor = strict_int(1, limits.MAX_USDC_MINOR_UNITS)


class PassRule(BaseModel):
    """A task passes when every ``must`` clause passes and the passing clauses' weights add up
    to at least ``threshold`` of the total (see docs/pacts.md for INCONCLUSIVE)."""

    model_config = _FROZEN

    threshold: Ratio


class EscrowTerms(BaseModel):
    """How a buyer may fund work under this pact. Amounts are USDC minor units (6 decimals)."""

    model_config = _FROZEN

    modes: unique_tuple(Literal["per_task", "aggregate"], 1, 2)
    currency: Literal["USDC"] = "USDC"
    min_task_price: _Minor
    max_pool_size: _Minor | None = None
    max_expiry_seconds: strict_int(limits.MIN_EXPIRY_SECONDS, limits.MAX_EXPIRY_SECONDS) | None = None


class EvidenceRequirement(BaseModel):
    """The weakest provenance a task's evidence may have for the pact's measured clauses
    (``max_latency_ms``, ``max_cost``, ``max_tokens``, ``allowed_tools``, ``forbidden_tools``):
    ``gateway`` accepts only tasks measured by the platform's gateway; ``countersigned`` also
    accepts a buyer's report countersigned by the provider. Without it, any provenance is taken
    (docs/pacts.md, "Evidence")."""

    model_config = _FROZEN

    measured_by: Literal["gateway", "countersigned"]


class PactDocument(BaseModel):
    """One published version of a pact. Immutable: a change is a new ``version``."""

    model_config = _FROZEN

    format: Literal["pactline.pact/v1"]
    name: Slug
    version: strict_int(1, limits.MAX_VERSION)
    title: text(1, limits.MAX_TITLE_LENGTH)
    description: text(0, limits.MAX_DESCRIPTION_LENGTH) = ""
    clauses: Annotated[tuple[Clause, ...], Field(min_length=1, max_length=limits.MAX_CLAUSES)]
    pass_rule: PassRule
    dispute_window_seconds: strict_int(limits.MIN_DISPUTE_WINDOW_SECONDS, limits.MAX_DISPUTE_WINDOW_SECONDS)
    escrow: EscrowTerms
    # Left out of the normalized form when absent, so pacts written before this field existed
    # keep their hash; present, it is part of the commitment like any other field.
    evidence: EvidenceRequirement | None = Field(default=None, exclude_if=lambda value: value is None)

    def normalized(self) -> dict[str, Any]:
        """The JSON data the pact hash is taken over: every field, defaults filled in."""
        return self.model_dump(mode="json", by_alias=True)
