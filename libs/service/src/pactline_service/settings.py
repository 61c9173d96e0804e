"""Configuration from the environment (PACTLINE_*), with local defaults that match `make up`
(pactline_messaging.endpoints). Each service subclasses ``ServiceSettings`` once and declares
the class on its ``ServiceSpec``; the runtime instantiates it once at start-up.

``PACTLINE_ENVIRONMENT`` is ``production`` unless set: there a service refuses to start
without its event signing key, the trust store and its broker credentials. The project's
own scripts, tests and docker-compose set ``local``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pactline_messaging import KafkaCredentials, endpoints
from pactline_messaging.event_keys import EventKeySettings


class ServiceSettings(EventKeySettings):
    """Every service reads these; a service subclasses it to add its own fields.

    The event key fields (``environment``, ``event_signing_key``, ``event_trusted_keys``, ...)
    come from ``EventKeySettings``.
    """

    # Inputs stay out of validation errors: they can hold secrets (keys, passwords, a pepper).
    model_config = SettingsConfigDict(
        env_prefix="PACTLINE_", extra="ignore", frozen=True, hide_input_in_errors=True, populate_by_name=True
    )

    kafka_bootstrap: str = Field(default_factory=endpoints.local_kafka, description="Kafka bootstrap servers")
    # The service's own broker principal (SASL/SCRAM-SHA-512). Never logged.
    kafka_username: str | None = Field(None, description="PACTLINE_KAFKA_USERNAME")
    kafka_password: SecretStr | None = Field(None, description="PACTLINE_KAFKA_PASSWORD")
    kafka_password_file: Path | None = Field(None, description="PACTLINE_KAFKA_PASSWORD_FILE")
    kafka_tls_ca_file: Path | None = Field(None, description="PACTLINE_KAFKA_TLS_CA_FILE: the broker's CA (SASL_SSL)")
    # A secret: the URL carries the password. Never logged.
    database_url: SecretStr = Field(
        default_factory=lambda: SecretStr(endpoints.local_database_url()), description="PostgreSQL URL"
    )
    eth_rpc_url: str = Field(default_factory=endpoints.local_eth_rpc_url, description="EVM JSON-RPC endpoint")
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(None, ge=1, le=65535, description="Defaults to the service's own port")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    trace_exporter: Literal["none", "console", "otlp"] = "none"
    db_pool_size: int = Field(10, ge=1, le=100)
    shutdown_grace_s: float = Field(10.0, ge=0)
    consumer_batch_records: int = Field(500, ge=1, le=10_000, description="Most records applied in one transaction")
    consumer_batch_bytes: int = Field(
        4 * 1024 * 1024, ge=1024 * 1024, le=64 * 1024 * 1024, description="Most bytes fetched per poll and partition"
    )
    consumer_max_attempts: int = Field(5, ge=1, le=100, description="Handler failures before a dead letter")

    def kafka_credentials(self) -> KafkaCredentials:
        return KafkaCredentials(
            username=self.kafka_username,
            password=self.kafka_password,
            password_file=self.kafka_password_file,
            tls_ca_file=self.kafka_tls_ca_file,
        )
