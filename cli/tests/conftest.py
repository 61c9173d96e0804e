"""The escrow deployment the registry checks tasks against (one per test session)."""

from registry_chain import registry_chain  # noqa: F401 - a fixture
