"""Registry configuration from the environment: the shared service settings plus key handling."""

from __future__ import annotations

from pydantic import Field, SecretStr

from pactline_evidence import AgentEndpointSettings
from pactline_service import ServiceSettings

# Only for tests and a throwaway local stack; any real deployment sets its own pepper (the
# service warns at start-up when it runs on this one).
LOCAL_PEPPER = "pactline-local-pepper"


class RegistrySettings(ServiceSettings, AgentEndpointSettings):
    """PACTLINE_REGISTRY_* secrets are SecretStr: never printed, logged or put in repr()."""

    # A fresh deployment has no keys yet. Requests carrying exactly this secret act as the
    # built-in admin "admin-bootstrap", which can create principals and their keys; unset
    # (the default) disables it. Rotate it away once real admin keys exist.
    registry_bootstrap_admin_key: SecretStr | None = Field(
        None, description="Bootstrap admin API key (env PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY)"
    )
    # Keys are stored as HMAC-SHA256(pepper, key): a copy of the table alone is not enough to
    # test guesses offline. Changing the pepper invalidates every stored key.
    registry_key_pepper: SecretStr = Field(
        SecretStr(LOCAL_PEPPER),
        description="HMAC pepper for API key hashes (env PACTLINE_REGISTRY_KEY_PEPPER)",
    )

    @property
    def uses_local_pepper(self) -> bool:
        return self.registry_key_pepper.get_secret_value() == LOCAL_PEPPER
