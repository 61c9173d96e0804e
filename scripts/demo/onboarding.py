"""The registry part, through its public API with the CLI's typed client: an admin creates the
operators and buyers, each operator registers its agent, says where it answers and publishes
its pact, and each buyer accepts the pacts it will use. Every run creates fresh principals,
agents and acceptances, so a second run adds to the first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pactline_cli.registry_client import RegistryClient

from .cast import AGENTS, BUYERS, OPERATORS, AgentSpec, Party
from .plan import ACCEPTANCE_DAYS, PRICE_PER_TASK, Lane
from .platform import Platform


@dataclass(frozen=True)
class Principal:
    party: Party
    principal_id: str
    api_key: str


@dataclass(frozen=True)
class Agent:
    spec: AgentSpec
    agent_id: str
    operator: Principal
    pact_id: str
    pact_hash: str


@dataclass(frozen=True)
class Acceptance:
    lane: Lane
    acceptance_id: str
    buyer: Principal
    agent: Agent
    expires_at: datetime


@dataclass
class Roster:
    """Everyone and everything the registry gave this run an id for."""

    run_id: str
    principals: dict[str, Principal] = field(default_factory=dict)  # by party name
    agents: dict[str, Agent] = field(default_factory=dict)  # by agent label
    acceptances: list[Acceptance] = field(default_factory=list)

    def agent_name(self, agent_id: str) -> str:
        return next((f"{a.spec.label}-bot" for a in self.agents.values() if a.agent_id == agent_id), agent_id)

    def buyer_name(self, buyer_id: str) -> str:
        return next((p.party.name for p in self.principals.values() if p.principal_id == buyer_id), buyer_id)


def onboard(platform: Platform, run_id: str, lanes: tuple[Lane, ...], step: Callable[[str], None]) -> Roster:
    roster = Roster(run_id)
    with RegistryClient(platform.registry, platform.admin_key) as admin:
        for party in (*OPERATORS, *BUYERS):
            created = admin.create_principal(party.role, f"{party.name} ({run_id})", party.address)
            roster.principals[party.name] = Principal(
                party, created["principal"]["principal_id"], created["key"]["api_key"]
            )
            step(f"{party.role} {party.name}: {created['principal']['principal_id']}")
    for spec in AGENTS:
        operator = roster.principals[spec.operator.name]
        with RegistryClient(platform.registry, operator.api_key) as client:
            agent = client.register_agent(f"{spec.label}-bot-{run_id}", spec.family)
            client.register_endpoint(agent["agent_id"], f"{platform.agents}/agents/{spec.behaviour}/v1")
            pact = client.publish_pact_file(agent["agent_id"], spec.pact_file)
        roster.agents[spec.label] = Agent(spec, agent["agent_id"], operator, pact["pact_id"], pact["pact_hash"])
        step(f"{spec.label}-bot ({spec.family}) registered, pact {pact['name']} v{pact['version']} published")
    for lane in lanes:
        buyer, agent = roster.principals[lane.buyer.name], roster.agents[lane.agent.label]
        with RegistryClient(platform.registry, buyer.api_key) as client:
            accepted = client.accept(
                agent.pact_id,
                mode=lane.mode,
                price_per_task=PRICE_PER_TASK,
                pool_size=lane.escrow_total if lane.mode == "aggregate" else None,
                max_tasks=lane.tasks,
                expires_in_seconds=ACCEPTANCE_DAYS * 86_400,
            )
        roster.acceptances.append(
            Acceptance(lane, accepted["acceptance_id"], buyer, agent, datetime.fromisoformat(accepted["expires_at"]))
        )
        step(f"{lane.key}: acceptance {accepted['acceptance_id']}")
    return roster
