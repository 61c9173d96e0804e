"""settlement configuration from the environment (PACTLINE_*): the shared service settings, read once."""

from __future__ import annotations

from pactline_service import ServiceSettings


class SettlementSettings(ServiceSettings):
    """Grows with the settlement's own fields (each documented with its variable)."""
