"""Where the running platform answers: the services' public URLs, the broker, the chain and the
escrow deployment, from the PACTLINE_* variables with the local stack's defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pactline_escrow import settings as escrow_settings
from pactline_messaging import endpoints

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ADMIN_KEY_FILE = ROOT / ".local" / "services" / "bootstrap-admin.key"


@dataclass(frozen=True)
class Platform:
    registry: str = "http://127.0.0.1:8101"
    evaluator: str = "http://127.0.0.1:8102"
    jury: str = "http://127.0.0.1:8103"
    scoring: str = "http://127.0.0.1:8104"
    settlement: str = "http://127.0.0.1:8105"
    gateway: str = "http://127.0.0.1:8106"
    # The SIMULATED agents' server; each agent's operator registers its base URL as the endpoint.
    agents: str = "http://127.0.0.1:8180"
    kafka: str = field(default_factory=endpoints.kafka_bootstrap)
    rpc: str = field(default_factory=escrow_settings.rpc_url)
    deployment_file: Path = field(default_factory=lambda: ROOT / escrow_settings.deployment_file())
    admin_key: str = ""

    @property
    def services(self) -> dict[str, str]:
        return {
            "pact-registry": self.registry,
            "evaluator": self.evaluator,
            "jury": self.jury,
            "scoring": self.scoring,
            "settlement": self.settlement,
            "gateway": self.gateway,
        }

    @classmethod
    def local(cls) -> Platform:
        """The stack `make services` runs; the admin key is the registry's local bootstrap key."""
        env = os.environ

        def url(name: str, default: str) -> str:
            return env.get(f"PACTLINE_{name}_URL", default).rstrip("/")

        admin = env.get("PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY") or (
            LOCAL_ADMIN_KEY_FILE.read_text().strip() if LOCAL_ADMIN_KEY_FILE.exists() else ""
        )
        base = cls()
        return cls(
            registry=url("REGISTRY", base.registry),
            evaluator=url("EVALUATOR", base.evaluator),
            jury=url("JURY", base.jury),
            scoring=url("SCORING", base.scoring),
            settlement=url("SETTLEMENT", base.settlement),
            gateway=url("GATEWAY", base.gateway),
            agents=url("SIMULATED_AGENTS", base.agents),
            admin_key=admin,
        )
