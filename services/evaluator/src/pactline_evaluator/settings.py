"""evaluator configuration from the environment (PACTLINE_*): the shared service settings, read once."""

from __future__ import annotations

from pactline_service import ServiceSettings


class EvaluatorSettings(ServiceSettings):
    """Grows with the evaluator's own fields (each documented with its variable)."""
