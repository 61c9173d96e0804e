"""The pepper of API key HMACs, read by the registry and by every service that checks keys."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

# For tests and a throwaway local stack only: the registry refuses to start on it outside
# PACTLINE_ENVIRONMENT=local. A service checking keys with it while the registry uses a secret
# pepper authenticates no one (its HMACs never match): it fails closed.
LOCAL_PEPPER = "pactline-local-pepper"


class KeyPepperSettings(BaseModel):
    """Settings mixin: PACTLINE_REGISTRY_KEY_PEPPER, the same secret in every service."""

    registry_key_pepper: SecretStr = Field(
        SecretStr(LOCAL_PEPPER),
        description="HMAC pepper of API keys (env PACTLINE_REGISTRY_KEY_PEPPER); changing it invalidates every key",
    )

    @property
    def uses_local_pepper(self) -> bool:
        return self.registry_key_pepper.get_secret_value() == LOCAL_PEPPER
