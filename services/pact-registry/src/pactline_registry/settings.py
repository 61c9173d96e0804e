"""Registry configuration from the environment: the shared service settings plus key handling,
the escrow it checks on chain, and per-key write limits. Read once, at start-up; a setting that
cannot be right (a weak bootstrap key, the public pepper in production) stops the start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from pactline_events.types import EvmAddress
from pactline_evidence import AgentEndpointSettings
from pactline_identities import KeyPepperSettings
from pactline_service import ServiceSettings

BOOTSTRAP_KEY_MIN_CHARS = 32
BOOTSTRAP_KEY_MIN_DISTINCT = 12


class WeakBootstrapKey(ValueError):
    def __init__(self, problem: str) -> None:
        super().__init__(
            f"PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY is too weak: {problem}. Use a random secret of at least "
            f"{BOOTSTRAP_KEY_MIN_CHARS} characters (for example: python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'), or leave it unset"
        )


class PublicPepperRefused(ValueError):
    def __init__(self, environment: str) -> None:
        super().__init__(
            f"PACTLINE_REGISTRY_KEY_PEPPER is not set, and the public local pepper is refused outside local "
            f"development (PACTLINE_ENVIRONMENT is {environment!r}): set a random secret of your own, the same "
            "in the registry, the gateway and the evaluator"
        )


class RegistrySettings(ServiceSettings, AgentEndpointSettings, KeyPepperSettings):
    """PACTLINE_REGISTRY_* secrets are SecretStr: never printed, logged or put in repr()."""

    # A fresh deployment has no keys yet. Requests carrying exactly this secret act as the
    # built-in admin "admin-bootstrap", which can create principals and their keys; unset
    # (the default) disables it. Rotate it away once real admin keys exist.
    registry_bootstrap_admin_key: SecretStr | None = Field(
        None, description="Bootstrap admin API key (env PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY)"
    )
    # PACTLINE_REGISTRY_KEY_PEPPER (KeyPepperSettings): keys are stored as HMAC-SHA256(pepper,
    # key), so a copy of the table alone is not enough to test guesses offline; the public local
    # default is refused outside PACTLINE_ENVIRONMENT=local.
    # Writes each API key may make: `rate` a second on average, `burst` at once (429 beyond).
    registry_write_rate_per_s: float = Field(20.0, gt=0, le=100_000, description="PACTLINE_REGISTRY_WRITE_RATE_PER_S")
    registry_write_burst: int = Field(100, ge=1, le=1_000_000, description="PACTLINE_REGISTRY_WRITE_BURST")
    # Escrow checked on chain before a task is taken (docs/pacts.md, "Escrow on chain"): the
    # contracts' addresses from the deployment file, the platform's evaluator address (the
    # settlement service's signer) from this setting or else the deployment file's `evaluator`.
    deployment_file: Path = Field(
        Path(".local/chain/deployment.json"),
        description="PACTLINE_DEPLOYMENT_FILE: the escrow contracts' addresses (written by `pactline escrow deploy`)",
    )
    settlement_evaluator_address: EvmAddress | None = Field(
        None, description="PACTLINE_SETTLEMENT_EVALUATOR_ADDRESS: the address the settlement service signs with"
    )
    registry_chain_timeout_s: float = Field(
        10.0, gt=0, le=120, description="PACTLINE_REGISTRY_CHAIN_TIMEOUT_S: one RPC call, at most"
    )

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> RegistrySettings:
        # PACTLINE_ENVIRONMENT (ServiceSettings): `local` only for a developer's or CI's own stack.
        if self.uses_local_pepper and not self.local:
            raise PublicPepperRefused(self.environment)
        key = self.registry_bootstrap_admin_key.get_secret_value() if self.registry_bootstrap_admin_key else ""
        if key:  # empty: no bootstrap admin, as when unset
            if len(key) < BOOTSTRAP_KEY_MIN_CHARS:
                raise WeakBootstrapKey(f"{len(key)} characters, fewer than {BOOTSTRAP_KEY_MIN_CHARS}")
            if len(set(key)) < BOOTSTRAP_KEY_MIN_DISTINCT:
                raise WeakBootstrapKey(
                    f"only {len(set(key))} different characters (at least {BOOTSTRAP_KEY_MIN_DISTINCT})"
                )
            if any(c.isspace() or not c.isprintable() for c in key):
                raise WeakBootstrapKey("it contains whitespace or unprintable characters")
        return self
