"""Gateway configuration from the environment: the shared service settings, the key pepper it
shares with the registry, the agent endpoint policy, and the limits of a forwarded call."""

from __future__ import annotations

from pydantic import Field

from pactline_evidence import AgentEndpointSettings
from pactline_identities import KeyPepperSettings
from pactline_service import ServiceSettings


class GatewaySettings(ServiceSettings, AgentEndpointSettings, KeyPepperSettings):
    # PACTLINE_REGISTRY_KEY_PEPPER (KeyPepperSettings): the same secret as the registry's; the
    # gateway compares HMAC(pepper, presented key) with the HMACs the registry announces.
    gateway_connect_timeout_s: float = Field(5.0, gt=0, le=60, description="Connecting to an agent")
    gateway_call_timeout_s: float = Field(300.0, gt=0, le=3600, description="A whole call, first byte to last")
    gateway_max_request_bytes: int = Field(1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    gateway_max_response_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    gateway_max_connections: int = Field(200, ge=1, le=10_000, description="Open connections to agents")
    gateway_lost_call_grace_s: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="After the call timeout, how long an unrecorded call waits before it counts as lost",
    )
    gateway_sweep_interval_s: float = Field(30.0, gt=0, le=3600, description="How often lost calls are looked for")
