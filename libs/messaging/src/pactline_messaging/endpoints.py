"""Where Kafka, PostgreSQL and the chain are: the PACTLINE_* endpoint variables, else the
project's local processes (scripts/infra/*.sh), whose ports follow PACTLINE_*_PORT.

Read once per call from the environment through one pydantic-settings class, for scripts,
tests and the services' own settings defaults.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LocalEndpoints(BaseSettings):
    """The local stack's ports and the optional existing-infrastructure URLs."""

    model_config = SettingsConfigDict(env_prefix="PACTLINE_", extra="ignore")

    kafka_port: int = Field(19092, ge=1, le=65535)
    pg_port: int = Field(15432, ge=1, le=65535)
    anvil_port: int = Field(8545, ge=1, le=65535)
    # The local cluster's throwaway password (scripts/infra/postgres.sh); real servers come
    # with their own URL in PACTLINE_DATABASE_URL.
    pg_password: SecretStr = SecretStr("pactline-local")
    kafka_bootstrap: str | None = None
    database_url: SecretStr | None = None
    eth_rpc_url: str | None = None


def local_kafka() -> str:
    return f"127.0.0.1:{LocalEndpoints().kafka_port}"


def local_database_url() -> str:
    found = LocalEndpoints()
    return f"postgresql://pactline:{found.pg_password.get_secret_value()}@127.0.0.1:{found.pg_port}/pactline"


def local_eth_rpc_url() -> str:
    return f"http://127.0.0.1:{LocalEndpoints().anvil_port}"


def kafka_bootstrap() -> str:
    return LocalEndpoints().kafka_bootstrap or local_kafka()


def database_url() -> str:
    found = LocalEndpoints().database_url
    return found.get_secret_value() if found else local_database_url()


def eth_rpc_url() -> str:
    return LocalEndpoints().eth_rpc_url or local_eth_rpc_url()
