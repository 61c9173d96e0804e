"""A score as the TrustScoreUpdated event that announces it (pure)."""

from __future__ import annotations

from pactline_events import DimensionScore, TrustScoreUpdated

from .formula import FORMULA_VERSION, FormulaParams
from .scores import AgentScore, micro_str


def announcement(score: AgentScore, params: FormulaParams) -> TrustScoreUpdated:
    return TrustScoreUpdated(
        agent_id=score.agent_id,
        formula_version=FORMULA_VERSION,
        composite=score.composite,
        dimensions={
            dim: DimensionScore(
                alpha=micro_str(fig.alpha),
                beta=micro_str(fig.beta),
                mean=micro_str(fig.mean),
                lower_bound=micro_str(fig.lower_bound),
            )
            for dim, fig in score.dimensions.items()
        },
        verdict_count=score.counters.verdicts,
        as_of=score.as_of,
        confidence=score.confidence,
        tier=score.tier,
        params_digest=params.digest,
    )
