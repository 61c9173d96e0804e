"""Where the tests find Kafka, PostgreSQL and anvil.

In order: the PACTLINE_* environment variables (existing infrastructure); testcontainers when
a Docker engine answers; otherwise the project's own local processes (scripts/infra/*.sh),
started here if they are not already up. Never a mock.
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
        yield endpoints.local_kafka()


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
