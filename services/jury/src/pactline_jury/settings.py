"""The jury's configuration: service settings, and the panel from a file plus the environment.

The panel file (YAML) holds the judges and the policy; PACTLINE_JURY_PANEL_* variables
override it (nested fields with ``__``, e.g. PACTLINE_JURY_PANEL_POLICY__QUORUM=3, or the whole
judge list as JSON in PACTLINE_JURY_PANEL_JUDGES). Neither a pact nor an operator can reach it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from pactline_service import ServiceSettings

from .panel import JudgeConfig, Panel, PanelPolicy

LOCAL_PANEL = Path(__file__).parent / "panels" / "local.yaml"


class PanelInvalid(ValueError):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"panel {path}: {detail}")
        self.path = path


class PanelSettings(BaseSettings, Panel):
    """A Panel whose fields come from the environment first, then from the file."""

    model_config = SettingsConfigDict(
        env_prefix="PACTLINE_JURY_PANEL_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    version: str
    policy: PanelPolicy = PanelPolicy()
    judges: tuple[JudgeConfig, ...]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)  # the environment overrides the file (passed as init)


def load_panel(path: Path) -> Panel:
    try:
        data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PanelInvalid(path, str(exc)) from None
    if not isinstance(data, dict):
        raise PanelInvalid(path, "must be a mapping with version, policy and judges")
    try:
        merged = PanelSettings(**data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PanelInvalid(path, detail) from None
    return Panel.model_validate(merged.model_dump())


class JurySettings(ServiceSettings):
    jury_panel_file: Path = Field(LOCAL_PANEL, description="The panel (PACTLINE_JURY_PANEL_FILE)")
    jury_concurrent_requests: int = Field(4, ge=1, le=256, description="Requests judged at once by one process")
    jury_poll_ms: int = Field(500, ge=10, description="Worker poll interval when no notification arrives")
    jury_lease_s: int = Field(300, ge=5, description="A claimed request is judged again after this, if unfinished")
    jury_max_attempts: int = Field(5, ge=1, description="Worker failures on one request before it is INCONCLUSIVE")
