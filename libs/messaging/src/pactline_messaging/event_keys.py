"""This process's event keys: the private key of each producer it writes as, and the trust
store its readers verify against.

A service's runtime installs its own key and trust store from its settings at start-up
(``install_signing_key``, ``install_verifier``); the outbox signs with the installed key of
the producer it appends for, and consumers, projections and log readers verify with the
installed verifier. A process that installs nothing (a tool, a test's child process) loads
them once from the environment (``EventKeySettings``).

Where the keys come from:
- ``PACTLINE_EVENT_SIGNING_KEY`` (the key itself: PKCS#8 PEM or 64-hex-digit seed) or
  ``PACTLINE_EVENT_SIGNING_KEY_FILE``; ``PACTLINE_EVENT_SIGNING_KEY_ID`` overrides its id.
  Only a service runtime uses these, for its own name.
- ``PACTLINE_EVENT_TRUSTED_KEYS`` (the trust store's JSON) or ``PACTLINE_EVENT_TRUSTED_KEYS_FILE``.
- Local only (``PACTLINE_ENVIRONMENT=local``): ``PACTLINE_EVENT_KEYS_DIR``, a directory of
  ``<producer>.pem`` keys and ``trusted-keys.json`` that ``python -m pactline_messaging.local_keys
  DIR`` fills (`make keys`, scripts/services.sh and the test fixtures do).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pactline_events import EventSigningKey, EventVerifier, KeyMaterialError, TrustStore

TRUST_FILE = "trusted-keys.json"


class EventKeysMissing(RuntimeError):
    """A process must sign or verify events and has no key or trust store to do it with."""


class EventKeySettings(BaseSettings):
    """Where this process's event keys come from (see the module doc); never logged."""

    model_config = SettingsConfigDict(env_prefix="PACTLINE_", extra="ignore", frozen=True)

    environment: Literal["production", "local"] = Field(
        "production", description="PACTLINE_ENVIRONMENT: 'local' only for a developer's or CI's own stack"
    )
    event_signing_key: SecretStr | None = Field(None, description="PACTLINE_EVENT_SIGNING_KEY (PEM or hex seed)")
    event_signing_key_file: Path | None = Field(None, description="PACTLINE_EVENT_SIGNING_KEY_FILE")
    event_signing_key_id: str | None = Field(None, description="PACTLINE_EVENT_SIGNING_KEY_ID")
    event_trusted_keys: str | None = Field(None, description="PACTLINE_EVENT_TRUSTED_KEYS (JSON, public)")
    event_trusted_keys_file: Path | None = Field(None, description="PACTLINE_EVENT_TRUSTED_KEYS_FILE")
    event_keys_dir: Path | None = Field(None, description="PACTLINE_EVENT_KEYS_DIR (local only)")
    require_event_signatures: bool = Field(
        True, description="PACTLINE_REQUIRE_EVENT_SIGNATURES: false accepts unsigned events (local only)"
    )

    @property
    def local(self) -> bool:
        return self.environment == "local"

    def explicit_signing_key(self, producer: str) -> EventSigningKey | None:
        """The key given for this process in PACTLINE_EVENT_SIGNING_KEY(_FILE), as ``producer``'s."""
        if self.event_signing_key is not None:
            return EventSigningKey.from_text(
                self.event_signing_key.get_secret_value(), producer, self.event_signing_key_id
            )
        if self.event_signing_key_file is not None:
            return EventSigningKey.from_text(
                _read(self.event_signing_key_file, "signing key"), producer, self.event_signing_key_id
            )
        return None

    def local_signing_key(self, producer: str) -> EventSigningKey | None:
        """``producer``'s key from the local keys directory (local environment only)."""
        if not self.local or self.event_keys_dir is None:
            return None
        path = self.event_keys_dir / f"{producer}.pem"
        return EventSigningKey.from_text(_read(path, "signing key"), producer) if path.exists() else None

    def trust_store(self) -> TrustStore | None:
        if self.event_trusted_keys is not None:
            return TrustStore.from_json(self.event_trusted_keys, source="PACTLINE_EVENT_TRUSTED_KEYS")
        if self.event_trusted_keys_file is not None:
            return TrustStore.from_file(self.event_trusted_keys_file)
        if self.local and self.event_keys_dir is not None and (self.event_keys_dir / TRUST_FILE).exists():
            return TrustStore.from_file(self.event_keys_dir / TRUST_FILE)
        return None

    def verifier(self) -> EventVerifier | None:
        trust = self.trust_store()
        if trust is None:
            return None
        if not self.require_event_signatures and not self.local:
            raise EventKeysMissing(
                "PACTLINE_REQUIRE_EVENT_SIGNATURES=false is refused outside PACTLINE_ENVIRONMENT=local"
            )
        return EventVerifier(trust, require_signatures=self.require_event_signatures)


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise KeyMaterialError(f"cannot read the {what} file {path}: {exc.strerror}") from None


_signing_keys: dict[str, EventSigningKey] = {}
_verifier: EventVerifier | None = None
_settings: EventKeySettings | None = None


def _environment() -> EventKeySettings:
    global _settings
    if _settings is None:
        _settings = EventKeySettings()
    return _settings


def install_signing_key(key: EventSigningKey) -> None:
    """Sign every event this process appends as ``key.producer`` with ``key``."""
    _signing_keys[key.producer] = key


def install_verifier(verifier: EventVerifier) -> None:
    """Verify every event this process reads with ``verifier``."""
    global _verifier
    _verifier = verifier


def signing_key(producer: str) -> EventSigningKey | None:
    """The key to sign ``producer``'s events with: installed, else from the local keys directory.

    None only when signatures are not required (local use); otherwise ``EventKeysMissing``.
    """
    found = _signing_keys.get(producer)
    if found is not None:
        return found
    settings = _environment()
    found = settings.local_signing_key(producer)
    if found is not None:
        _signing_keys[producer] = found
        return found
    if settings.require_event_signatures or not settings.local:
        raise EventKeysMissing(
            f"no signing key for producer {producer!r}: a service takes it from PACTLINE_EVENT_SIGNING_KEY or "
            "PACTLINE_EVENT_SIGNING_KEY_FILE; locally, PACTLINE_EVENT_KEYS_DIR names a directory of <producer>.pem keys"
        )
    return None


def verifier() -> EventVerifier:
    """The verifier of everything this process reads: installed, else from the environment."""
    global _verifier
    if _verifier is None:
        _verifier = _environment().verifier()
    if _verifier is None:
        raise EventKeysMissing(
            "no trust store to verify events with: set PACTLINE_EVENT_TRUSTED_KEYS or PACTLINE_EVENT_TRUSTED_KEYS_FILE "
            "(locally, PACTLINE_EVENT_KEYS_DIR)"
        )
    return _verifier
