"""A service fails closed in production: no start without its signing key, the trust store and
its broker credentials; locally the fixtures' keys serve; secrets never show."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from pactline_events import EventSigningKey, TrustStore
from pactline_messaging import event_keys
from pactline_messaging.event_keys import EventKeysMissing
from pactline_service import ServiceSettings
from pactline_service.runtime import event_keys_of

KEY = EventSigningKey.generate("start-test")  # a name of its own: installing it touches no other test
TRUST = TrustStore([KEY.trusted()]).to_json().decode()
BARE = {"event_signing_key": None, "event_trusted_keys": None, "kafka_username": None, "kafka_password": None}


def test_production_refuses_to_start_without_key_trust_store_and_credentials():
    settings = ServiceSettings(environment="production", **BARE)
    with pytest.raises(EventKeysMissing) as caught:
        event_keys_of("jury", settings)
    message = str(caught.value)
    assert "jury refuses to start in PACTLINE_ENVIRONMENT=production" in message
    for needed in ("PACTLINE_EVENT_SIGNING_KEY", "PACTLINE_EVENT_TRUSTED_KEYS", "PACTLINE_KAFKA_USERNAME"):
        assert needed in message


def test_production_is_the_default_environment(monkeypatch):
    monkeypatch.delenv("PACTLINE_ENVIRONMENT")
    assert ServiceSettings().environment == "production"


def test_production_keys_from_settings_only_and_installed_for_the_outbox():
    settings = ServiceSettings(
        environment="production",
        event_signing_key=SecretStr(KEY.private_pem().decode()),
        event_trusted_keys=TRUST,
        kafka_username="start-test",
        kafka_password=SecretStr("a password"),
    )
    verifier = event_keys_of("start-test", settings)
    assert verifier.trust.get(KEY.key_id) is not None
    assert event_keys.signing_key("start-test").key_id == KEY.key_id
    assert KEY.private_pem().decode() not in repr(settings)
    assert "a password" not in repr(settings)


def test_unsigned_events_may_be_accepted_only_locally():
    settings = ServiceSettings(environment="production", event_trusted_keys=TRUST, require_event_signatures=False)
    with pytest.raises(EventKeysMissing, match="refused outside PACTLINE_ENVIRONMENT=local"):
        settings.verifier()
    assert ServiceSettings(environment="local", event_trusted_keys=TRUST, require_event_signatures=False).verifier()


def test_locally_the_session_keys_serve():
    settings = ServiceSettings(environment="local", **BARE)
    assert settings.environment == "local"
    verifier = event_keys_of("evaluator", settings)
    assert event_keys.signing_key("evaluator").key_id in {k.key_id for k in verifier.trust}
