"""The topic catalog: which events go where, keyed by what, with how many partitions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicSpec:
    name: str
    event_types: tuple[str, ...]
    key: str
    partitions: int
    retention_ms: int = -1  # event topics are the source of truth: kept forever

    @property
    def configs(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": "delete", "min.insync.replicas": "1"}


AGENTS = TopicSpec(
    "pactline.agents.v1", ("AgentRegistered", "AgentEndpointRegistered"), "stream_id (agent-<agent_id>)", 3
)
PACTS = TopicSpec("pactline.pacts.v1", ("PactPublished",), "stream_id (pact-<pact_id>)", 3)
# PactAccepted and the acceptance's reported TaskCompleted, TaskDisputed and AcceptanceRevoked
# events share a stream, so a consumer always sees the acceptance before them. The gateway's
# TaskCompleted events have their own stream per acceptance (gateway-<acceptance_id>), so one
# may arrive before its PactAccepted: consumers hold it until the acceptance is known.
ACCEPTANCES = TopicSpec(
    "pactline.acceptances.v1",
    ("PactAccepted", "TaskCompleted", "TaskDisputed", "AcceptanceRevoked"),
    "stream_id (acceptance-<acceptance_id> or gateway-<acceptance_id>)",
    6,
)
JURY_REQUESTS = TopicSpec("pactline.jury-requests.v1", ("JuryRequested",), "stream_id (evaluation-<task_id>)", 6)
JURY_DELIBERATIONS = TopicSpec(
    "pactline.jury-deliberations.v1", ("JuryDeliberated",), "stream_id (deliberation-<request_id>)", 6
)
VERDICTS = TopicSpec("pactline.verdicts.v1", ("VerdictIssued",), "stream_id (evaluation-<task_id>)", 6)
ESCROW = TopicSpec(
    "pactline.escrow.v1",
    ("EscrowFunded", "EscrowSettled", "EscrowSubmitted", "EscrowReclaimed"),
    "stream_id (escrow-<acceptance_id>)",
    6,
)
TRUST_SCORES = TopicSpec("pactline.trust-scores.v1", ("TrustScoreUpdated",), "stream_id (trust-<agent_id>)", 3)
# API keys as the registry issues and revokes them (HMACs only, never a key), for services that
# authenticate callers themselves (the gateway).
IDENTITIES = TopicSpec(
    "pactline.identities.v1", ("ApiKeyIssued", "ApiKeyRevoked"), "stream_id (principal-<principal_id>)", 3
)
# Messages a consumer could not decode or process, with the reason in headers. Kept forever
# too: a dead letter is evidence until someone replays or discards it.
DEAD_LETTERS = TopicSpec("pactline.dead-letters.v1", (), "the original message key", 3)

EVENT_TOPICS: tuple[TopicSpec, ...] = (
    AGENTS,
    PACTS,
    ACCEPTANCES,
    JURY_REQUESTS,
    JURY_DELIBERATIONS,
    VERDICTS,
    ESCROW,
    TRUST_SCORES,
    IDENTITIES,
)
ALL_TOPICS: tuple[TopicSpec, ...] = (*EVENT_TOPICS, DEAD_LETTERS)

TOPIC_OF_EVENT: dict[str, str] = {et: spec.name for spec in EVENT_TOPICS for et in spec.event_types}


def topic_for(event_type: str) -> str:
    try:
        return TOPIC_OF_EVENT[event_type]
    except KeyError:
        raise LookupError(f"no topic carries event type {event_type!r}") from None
