"""Where the escrow contracts live on a chain: written by deploy, read by clients and services."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class Deployment(BaseModel):
    model_config = ConfigDict(frozen=True)

    chain_id: int
    agentic_commerce: str
    aggregate_escrow: str
    usdc: str
    usdc_is_mock: bool
    # The platform's evaluator (the address the settlement service signs with), when the
    # deployment records it: the registry checks that jobs and pools name it. Not set by
    # `deploy`, which does not know it; `make contracts` records the local one.
    evaluator: str | None = None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> Deployment:
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise DeploymentMissing(path) from None
        return cls.model_validate_json(text)


class DeploymentMissing(FileNotFoundError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"no contract deployment at {path}: run `pactline escrow deploy`, or point "
            "PACTLINE_DEPLOYMENT_FILE at the deployment file of your chain"
        )
        self.path = path
