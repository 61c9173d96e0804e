"""Where the tests find Kafka, PostgreSQL and anvil.

In order: the PACTLINE_* environment variables (existing infrastructure); testcontainers when
a Docker engine answers; otherwise the project's own local processes (scripts/infra/*.sh),
started here if they are not already up. Never a mock.

The project's local broker takes SASL/SCRAM only: the tests talk to it as its admin principal
(PACTLINE_KAFKA_USERNAME / PACTLINE_KAFKA_PASSWORD, taken from .local/kafka/credentials unless
already set); ``kafka_password(principal)`` gives a test another principal's password.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pactline_messaging import endpoints

ROOT = Path(__file__).resolve().parents[2]


def docker_answers() -> bool:
    if os.environ.get("PACTLINE_TEST_DOCKER", "auto") == "never":
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


def _script(component: str, action: str = "start") -> str:
    result = subprocess.run(
        [str(ROOT / "scripts" / "infra" / f"{component}.sh"), action],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.stdout.strip()


@contextlib.contextmanager
def kafka() -> Iterator[str]:
    if url := os.environ.get("PACTLINE_KAFKA_BOOTSTRAP"):
        yield url
    elif docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        _script("kafka")
        if "PACTLINE_KAFKA_USERNAME" not in os.environ:
            os.environ["PACTLINE_KAFKA_USERNAME"] = "admin"
            os.environ["PACTLINE_KAFKA_PASSWORD"] = kafka_password("admin")
        yield endpoints.local_kafka()


def kafka_password(principal: str) -> str:
    """The local broker's password of ``principal`` (scripts/infra/kafka.sh makes them)."""
    local = Path(os.environ.get("PACTLINE_LOCAL", ROOT / ".local"))
    return (local / "kafka" / "credentials" / principal).read_text().strip()


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    if url := os.environ.get("PACTLINE_DATABASE_URL"):
        yield url
    elif docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver=None) as container:
            yield container.get_connection_url()
    else:
        _script("postgres")
        yield _script("postgres", "url")


@contextlib.contextmanager
def anvil() -> Iterator[str]:
    if url := os.environ.get("PACTLINE_ETH_RPC_URL"):
        yield url
    elif docker_answers():
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.waiting_utils import wait_for_logs

        container = (
            DockerContainer("ghcr.io/foundry-rs/foundry:v1.7.1")
            .with_command("anvil --host 0.0.0.0 --chain-id 31337")
            .with_exposed_ports(8545)
        )
        with container:
            wait_for_logs(container, "Listening on")
            yield f"http://{container.get_container_host_ip()}:{container.get_exposed_port(8545)}"
    else:
        _script("anvil")
        yield endpoints.local_eth_rpc_url()
