"""Kafka clients configured the one way Pactline uses them, authenticated, and topic creation.

Every Kafka client the project makes (producers, the FastStream broker, projection and log
consumers, admin clients, benches, tests) is built here, so that each one authenticates
with the principal of ``PACTLINE_KAFKA_USERNAME`` / ``PACTLINE_KAFKA_PASSWORD`` (SASL/SCRAM-
SHA-512; over TLS when ``PACTLINE_KAFKA_TLS_CA_FILE`` names the broker's CA). Without a
username a client connects without authentication, which only a broker with no SASL listener
(a throwaway container) accepts.
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pactline_events import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)

SASL_MECHANISM = "SCRAM-SHA-512"


class KafkaCredentials(BaseSettings):
    """The broker principal of this process (one per service, plus admin and auditor)."""

    model_config = SettingsConfigDict(env_prefix="PACTLINE_KAFKA_", extra="ignore", frozen=True)

    username: str | None = Field(None, description="PACTLINE_KAFKA_USERNAME: the SCRAM principal")
    password: SecretStr | None = Field(None, description="PACTLINE_KAFKA_PASSWORD")
    password_file: Path | None = Field(None, description="PACTLINE_KAFKA_PASSWORD_FILE: the password in a file")
    tls_ca_file: Path | None = Field(None, description="PACTLINE_KAFKA_TLS_CA_FILE: the broker's CA, for SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        return create_ssl_context(cafile=str(self.tls_ca_file)) if self.tls_ca_file is not None else None

    def secret(self) -> str:
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_file is not None:
            return self.password_file.read_text().strip()
        raise ValueError("PACTLINE_KAFKA_USERNAME is set without PACTLINE_KAFKA_PASSWORD(_FILE)")

    def client_options(self) -> dict[str, Any]:
        """aiokafka's keyword arguments for this principal (empty: no authentication)."""
        if self.username is None:
            return {}
        options: dict[str, Any] = {
            "security_protocol": "SASL_SSL" if self.tls_ca_file is not None else "SASL_PLAINTEXT",
            "sasl_mechanism": SASL_MECHANISM,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.secret(),
        }
        if self.tls_ca_file is not None:
            options["ssl_context"] = self.ssl_context()
        return options


def _options(credentials: KafkaCredentials | None) -> dict[str, Any]:
    return (credentials if credentials is not None else KafkaCredentials()).client_options()


def kafka_producer(bootstrap: str, *, credentials: KafkaCredentials | None = None, **options: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **_options(credentials), **options)


def kafka_consumer(
    *topics: str, bootstrap: str, credentials: KafkaCredentials | None = None, **options: Any
) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, **_options(credentials), **options)


def kafka_admin(bootstrap: str, *, credentials: KafkaCredentials | None = None, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap, **_options(credentials), **options)


def kafka_broker(bootstrap: str, *, credentials: KafkaCredentials | None = None, **options: Any) -> KafkaBroker:
    """A FastStream broker authenticated as the principal (FastStream's own SASL settings)."""
    found = credentials if credentials is not None else KafkaCredentials()
    if found.username is not None:
        context = found.ssl_context()
        options["security"] = SASLScram512(
            username=found.username,
            password=found.secret(),
            ssl_context=context,
            use_ssl=context is not None,
        )
    return KafkaBroker(bootstrap, **options)


def idempotent_producer(
    bootstrap: str, client_id: str, *, credentials: KafkaCredentials | None = None
) -> AIOKafkaProducer:
    """acks=all plus idempotence: a retried send is written once, in order, per partition."""
    return kafka_producer(
        bootstrap,
        credentials=credentials,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
    )


class TopicMismatch(RuntimeError):
    pass


async def ensure_topics(bootstrap: str, specs: tuple[TopicSpec, ...] = ALL_TOPICS) -> list[str]:
    """Create missing topics with their partitions and retention; return the names created.

    An existing topic with fewer partitions than the catalog says is an error: keys would
    land on other partitions than consumers expect.
    """
    admin = kafka_admin(bootstrap, client_id="pactline-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            await admin.create_topics([NewTopic(s.name, s.partitions, 1, topic_configs=s.configs) for s in missing])
        present = [s for s in specs if s.name in existing]
        if present:
            described = await admin.describe_topics([s.name for s in present])
            counts = {t["topic"]: len(t["partitions"]) for t in described}
            for spec in present:
                if counts.get(spec.name, 0) < spec.partitions:
                    raise TopicMismatch(
                        f"topic {spec.name} has {counts.get(spec.name)} partitions, catalog says {spec.partitions}"
                    )
        return [s.name for s in missing]
    finally:
        await admin.close()
