"""Where Kafka, PostgreSQL and the chain are: the PACTLINE_* endpoint variables, else the
project's local processes (scripts/infra/*.sh), whose ports follow PACTLINE_*_PORT."""

from __future__ import annotations

import os


def local_kafka() -> str:
    return f"127.0.0.1:{os.environ.get('PACTLINE_KAFKA_PORT', '19092')}"


def local_database_url() -> str:
    # The local cluster's throwaway password (scripts/infra/postgres.sh); real servers come
    # with their own URL in PACTLINE_DATABASE_URL.
    password = os.environ.get("PACTLINE_PG_PASSWORD", "pactline-local")
    return f"postgresql://pactline:{password}@127.0.0.1:{os.environ.get('PACTLINE_PG_PORT', '15432')}/pactline"


def local_eth_rpc_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('PACTLINE_ANVIL_PORT', '8545')}"


def kafka_bootstrap() -> str:
    return os.environ.get("PACTLINE_KAFKA_BOOTSTRAP") or local_kafka()


def database_url() -> str:
    return os.environ.get("PACTLINE_DATABASE_URL") or local_database_url()


def eth_rpc_url() -> str:
    return os.environ.get("PACTLINE_ETH_RPC_URL") or local_eth_rpc_url()
