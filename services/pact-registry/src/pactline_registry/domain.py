"""Pure decisions of the registry: who may do what, and which event each accepted command emits.

No IO here: callers load state, pass ids and ``now`` in, and store what comes back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pactline_events import (
    AcceptedEscrow,
    AgentEndpointRegistered,
    AgentRegistered,
    Countersignature,
    PactAccepted,
    PactPublished,
    Provenance,
    TaskCompleted,
    TaskDisputed,
    ToolCall,
)
from pactline_events.canonical import canonical_json
from pactline_events.registry_events import AcceptanceRevoked, ApiKeyRevoked
from pactline_events.types import EscrowMode, ModelFamily
from pactline_evidence import CountersignatureInvalid, EndpointPolicy, EndpointRefused, TaskReport, verify
from pactline_pacts import PactDocument, pact_hash
from pactline_pacts import limits as pact_limits

from . import limits
from .errors import Conflict, FieldError, Forbidden, Invalid, NotFound, TooLarge, invalid_field


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    BUYER = "buyer"
    AUDITOR = "auditor"


class Scope(StrEnum):
    READ = "read"
    ADMIN = "admin"  # principals and keys
    AGENTS_WRITE = "agents:write"
    PACTS_WRITE = "pacts:write"
    ACCEPTANCES_WRITE = "acceptances:write"
    TASKS_WRITE = "tasks:write"


# The scopes a key of each role may hold; a key may be created with fewer.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: frozenset({Scope.READ, Scope.ADMIN}),
    Role.OPERATOR: frozenset({Scope.READ, Scope.AGENTS_WRITE, Scope.PACTS_WRITE, Scope.ACCEPTANCES_WRITE}),
    Role.BUYER: frozenset({Scope.READ, Scope.ACCEPTANCES_WRITE, Scope.TASKS_WRITE}),
    Role.AUDITOR: frozenset({Scope.READ}),
}
ADDRESS_ROLES = frozenset({Role.OPERATOR, Role.BUYER})  # they sign on chain, so they have an address
READ_ALL_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})  # they see every acceptance and task

Row = Mapping[str, Any]
"""A stored row as the store hands it over (an asyncpg Record); the mappers below read it."""


def _document(row: Row) -> dict[str, Any]:
    # Validated when published; reading a few fields needs no second validation.
    return json.loads(bytes(row["document"]))


@dataclass(frozen=True)
class Caller:
    """The authenticated principal behind a request, with the scopes of the key it used."""

    principal_id: str
    role: Role
    address: str | None
    scopes: frozenset[Scope]
    key_id: str | None = None  # None for the bootstrap admin, which has no key row

    def sees(self, buyer_id: str, operator_id: str) -> bool:
        """Buyers see their own acceptances and tasks, operators those of their agents."""
        return self.role in READ_ALL_ROLES or self.principal_id in (buyer_id, operator_id)


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    operator_id: str
    operator_address: str
    model_family: ModelFamily

    @classmethod
    def from_row(cls, row: Row) -> Agent:
        return cls(
            agent_id=row["agent_id"],
            name=row["name"],
            operator_id=row["operator_id"],
            operator_address=row["operator_address"],
            model_family=ModelFamily(row["model_family"]),
        )


@dataclass(frozen=True)
class PactVersion:
    pact_id: str
    version: int
    agent_id: str
    operator_id: str
    pact_hash: str
    document: PactDocument
    latest_version: int | None = None  # None: this version is the latest
    superseded_acceptable: bool = False  # the operator still offers superseded versions

    @classmethod
    def from_row(cls, row: Row) -> PactVersion:
        return cls(
            pact_id=row["pact_id"],
            version=row["version"],
            agent_id=row["agent_id"],
            operator_id=row["operator_id"],
            pact_hash=row["pact_hash"],
            document=PactDocument.model_validate(_document(row)),
            latest_version=row["latest_version"],
            superseded_acceptable=row["superseded_acceptable"],
        )


@dataclass(frozen=True)
class Acceptance:
    acceptance_id: str
    pact_id: str
    pact_version: int
    agent_id: str
    operator_id: str
    provider_address: str
    buyer_id: str
    buyer_address: str
    mode: EscrowMode
    price_per_task: int
    pool_size: int | None
    max_tasks: int | None
    expires_at: datetime
    revoked: bool
    tasks_count: int

    @classmethod
    def from_row(cls, row: Row) -> Acceptance:
        return cls(
            acceptance_id=row["acceptance_id"],
            pact_id=row["pact_id"],
            pact_version=row["pact_version"],
            agent_id=row["agent_id"],
            operator_id=row["operator_id"],
            provider_address=row["provider_address"],
            buyer_id=row["buyer_id"],
            buyer_address=row["buyer_address"],
            mode=EscrowMode(row["mode"]),
            price_per_task=row["price_per_task"],
            pool_size=row["pool_size"],
            max_tasks=row["max_tasks"],
            expires_at=row["expires_at"],
            revoked=row["revoked_at"] is not None,
            tasks_count=row["tasks_count"],
        )


@dataclass(frozen=True)
class EscrowRequest:
    mode: EscrowMode
    price_per_task: int
    pool_size: int | None
    max_tasks: int | None
    expires_in_seconds: int


@dataclass(frozen=True)
class TaskRequest:
    idempotency_key: str
    input: str
    output: str
    tool_calls: tuple[ToolCall, ...]
    latency_ms: int
    cost: int
    tokens: int
    reference: str | None
    escrow_job_id: str | None
    first_token_ms: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    countersignature: Countersignature | None = None

    def digest(self) -> str:
        """Fingerprint of the request, to tell a retry from a different task under the same key."""
        fields = {
            "input": self.input,
            "output": self.output,
            "tool_calls": [c.model_dump(mode="json") for c in self.tool_calls],
            "latency_ms": self.latency_ms,
            "cost": self.cost,
            "tokens": self.tokens,
            "reference": self.reference,
            "escrow_job_id": self.escrow_job_id,
        }
        # Fields added with provenance count only when given, so digests of earlier tasks hold.
        extra = {
            "first_token_ms": self.first_token_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "countersignature": self.countersignature.model_dump(mode="json") if self.countersignature else None,
        }
        fields.update({name: value for name, value in extra.items() if value is not None})
        return hashlib.sha256(canonical_json(fields)).hexdigest()

    def report(self, acceptance_id: str) -> TaskReport:
        """What the provider countersigns (docs/evaluation.md, "Evidence provenance")."""
        return TaskReport(
            acceptance_id=acceptance_id,
            idempotency_key=self.idempotency_key,
            escrow_job_id=self.escrow_job_id,
            input=self.input,
            output=self.output,
            tool_calls=self.tool_calls,
            reference=self.reference,
            latency_ms=self.latency_ms,
            first_token_ms=self.first_token_ms,
            cost=self.cost,
            tokens=self.tokens,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
        )


@dataclass(frozen=True)
class EvidenceTerms:
    """What intake needs to know about provenance: the pact's requirement and who countersigns."""

    measured_by: Literal["gateway", "countersigned"] | None
    provider_address: str

    @classmethod
    def from_row(cls, row: Row, provider_address: str) -> EvidenceTerms:
        """From the accepted pact version's document."""
        evidence = _document(row).get("evidence") or {}
        return cls(measured_by=evidence.get("measured_by"), provider_address=provider_address)


@dataclass(frozen=True)
class DisputableTask:
    task_id: str
    acceptance_id: str
    agent_id: str
    operator_id: str
    buyer_id: str
    provenance: Provenance
    submitted_at: datetime
    dispute_window_seconds: int
    disputed: bool

    @classmethod
    def from_row(cls, row: Row) -> DisputableTask:
        return cls(
            task_id=row["task_id"],
            acceptance_id=row["acceptance_id"],
            agent_id=row["agent_id"],
            operator_id=row["operator_id"],
            buyer_id=row["buyer_id"],
            provenance=Provenance(row["provenance"]),
            submitted_at=row["submitted_at"],
            dispute_window_seconds=_document(row)["dispute_window_seconds"],
            disputed=row["disputed"],
        )


@dataclass(frozen=True)
class StoredTask:
    task_id: str
    request_digest: str

    @classmethod
    def from_row(cls, row: Row) -> StoredTask:
        return cls(row["task_id"], row["request_digest"])


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    principal_id: str
    revoked: bool

    @classmethod
    def from_row(cls, row: Row) -> ApiKey:
        return cls(row["key_id"], row["principal_id"], row["revoked_at"] is not None)


@dataclass(frozen=True)
class AlreadyDone:
    """The command repeats one already applied: answer with the existing resource, emit nothing."""

    resource_id: str


def require_scope(caller: Caller, scope: Scope) -> None:
    if scope not in ROLE_SCOPES[caller.role]:
        raise Forbidden(
            "role_not_allowed", f"the '{caller.role.value}' role cannot do this; it needs the '{scope.value}' scope"
        )
    if scope not in caller.scopes:
        raise Forbidden("missing_scope", f"this API key lacks the '{scope.value}' scope")


def require_visible(caller: Caller, acceptance: Acceptance) -> None:
    """Someone else's acceptance does not exist for the caller: the same 404 as an unknown id."""
    if not caller.sees(acceptance.buyer_id, acceptance.operator_id):
        raise NotFound("acceptance", acceptance.acceptance_id)


# Keys -------------------------------------------------------------------------------------

WRITE_SCOPES = frozenset(Scope) - {Scope.READ}


def revoke_key(caller: Caller, key: ApiKey) -> ApiKeyRevoked | AlreadyDone:
    """A principal revokes its own keys with a key that may write; an admin key with the
    ``admin`` scope revokes anyone's. Another principal's key does not exist for anyone else."""
    if key.principal_id != caller.principal_id:
        if caller.role is not Role.ADMIN:
            raise NotFound("api_key", key.key_id)
        require_scope(caller, Scope.ADMIN)
    elif not caller.scopes & WRITE_SCOPES:
        raise Forbidden("missing_scope", "revoking a key takes a key that may write; this key may only read")
    if key.revoked:
        return AlreadyDone(key.key_id)
    return ApiKeyRevoked(key_id=key.key_id, principal_id=key.principal_id, revoked_by=caller.principal_id)


# Agents and pacts ---------------------------------------------------------------------------


def register_agent(
    caller: Caller, agent_id: str, name: str, model_family: ModelFamily, operator_address: str | None
) -> AgentRegistered:
    require_scope(caller, Scope.AGENTS_WRITE)
    address = operator_address or caller.address
    if address is None:  # pragma: no cover - operators always have an address
        raise invalid_field("operator_address_required", "/operator_address", "the operator has no address; give one")
    return AgentRegistered(
        agent_id=agent_id,
        name=name,
        operator_id=caller.principal_id,
        operator_address=address,
        model_family=model_family,
    )


def register_endpoint(
    caller: Caller, agent: Agent, base_url: str, current: str | None, policy: EndpointPolicy
) -> AgentEndpointRegistered | AlreadyDone:
    """The agent's operator says where the agent answers; the gateway calls nothing else."""
    require_scope(caller, Scope.AGENTS_WRITE)
    if agent.operator_id != caller.principal_id:
        raise Forbidden("not_agent_operator", f"agent {agent.agent_id!r} belongs to another operator")
    try:
        policy.check_url(base_url)
    except EndpointRefused as refused:
        raise invalid_field("agent_endpoint_refused", "/base_url", refused.reason) from None
    if base_url == current:
        return AlreadyDone(agent.agent_id)
    return AgentEndpointRegistered(agent_id=agent.agent_id, operator_id=agent.operator_id, base_url=base_url)


def require_operator_of(caller: Caller, agent: Agent) -> None:
    require_scope(caller, Scope.PACTS_WRITE)
    if agent.operator_id != caller.principal_id:
        raise Forbidden("not_agent_operator", f"agent {agent.agent_id!r} belongs to another operator")


def publish_pact(
    caller: Caller, agent: Agent, document: PactDocument, pact_id: str, versions: dict[int, str]
) -> PactPublished | AlreadyDone:
    """``versions`` maps each published version of this agent's pact of that name to its hash."""
    require_operator_of(caller, agent)
    digest = pact_hash(document)
    published = versions.get(document.version)
    if published == digest:
        return AlreadyDone(pact_id)
    if published is not None:
        raise Conflict(
            "pact_version_immutable",
            f"version {document.version} of pact {document.name!r} is already published with a different "
            f"hash; published versions never change, publish version {max(versions) + 1} instead",
            (FieldError("/version", "already published with different content"),),
        )
    if versions and document.version < max(versions):
        raise Conflict(
            "pact_version_not_newer",
            f"version {document.version} is older than the latest published version {max(versions)}",
            (FieldError("/version", f"must be greater than {max(versions)}"),),
        )
    return PactPublished(
        pact_id=pact_id,
        version=document.version,
        agent_id=agent.agent_id,
        operator_id=agent.operator_id,
        pact_hash=digest,
        document=document,
    )


# Acceptances ------------------------------------------------------------------------------


def accept_pact(
    caller: Caller, agent: Agent, pact: PactVersion, terms: EscrowRequest, acceptance_id: str, now: datetime
) -> PactAccepted:
    require_scope(caller, Scope.ACCEPTANCES_WRITE)
    if caller.role is not Role.BUYER:
        raise Forbidden("role_not_allowed", "only buyers accept pacts")
    if pact.latest_version is not None and pact.version < pact.latest_version and not pact.superseded_acceptable:
        raise Conflict(
            "pact_version_superseded",
            f"version {pact.version} of pact {pact.pact_id!r} is superseded by version {pact.latest_version}, and "
            "its operator no longer offers earlier versions to new buyers",
            (FieldError("/pact_version", f"accept version {pact.latest_version} (or omit it for the latest)"),),
        )
    offer = pact.document.escrow
    problems: list[FieldError] = []
    if terms.mode.value not in offer.modes:
        problems.append(FieldError("/escrow/mode", f"the pact offers {', '.join(offer.modes)} only"))
    if terms.price_per_task < offer.min_task_price:
        problems.append(FieldError("/escrow/price_per_task", f"below the pact's min_task_price {offer.min_task_price}"))
    if terms.mode is EscrowMode.AGGREGATE:
        if terms.pool_size is None:
            problems.append(FieldError("/escrow/pool_size", "required in aggregate mode"))
        else:
            if terms.pool_size < terms.price_per_task:
                problems.append(FieldError("/escrow/pool_size", "smaller than one task's price"))
            if offer.max_pool_size is not None and terms.pool_size > offer.max_pool_size:
                problems.append(
                    FieldError("/escrow/pool_size", f"above the pact's max_pool_size {offer.max_pool_size}")
                )
    elif terms.pool_size is not None:
        problems.append(FieldError("/escrow/pool_size", "only aggregate acceptances have a pool"))
    max_expiry = offer.max_expiry_seconds or pact_limits.MAX_EXPIRY_SECONDS
    if terms.expires_in_seconds > max_expiry:
        problems.append(FieldError("/escrow/expires_in_seconds", f"above the pact's max_expiry_seconds {max_expiry}"))
    if problems:
        raise Invalid("escrow_terms_rejected", "the escrow terms are outside what the pact offers", tuple(problems))
    assert caller.address is not None  # buyers always have one (ADDRESS_ROLES)
    return PactAccepted(
        acceptance_id=acceptance_id,
        pact_id=pact.pact_id,
        pact_version=pact.version,
        pact_hash=pact.pact_hash,
        document=pact.document,
        agent_id=agent.agent_id,
        agent_model_family=agent.model_family,
        operator_id=agent.operator_id,
        provider_address=agent.operator_address,
        buyer_id=caller.principal_id,
        buyer_address=caller.address,
        escrow=AcceptedEscrow(
            mode=terms.mode, price_per_task=terms.price_per_task, pool_size=terms.pool_size, max_tasks=terms.max_tasks
        ),
        accepted_at=now,
        expires_at=now + timedelta(seconds=terms.expires_in_seconds),
    )


def revoke_acceptance(caller: Caller, acceptance: Acceptance, reason: str) -> AcceptanceRevoked:
    """The buyer, the agent's operator or an admin may end an acceptance; no task is taken after."""
    require_scope(caller, Scope.ADMIN if caller.role is Role.ADMIN else Scope.ACCEPTANCES_WRITE)
    require_visible(caller, acceptance)
    allowed = (
        caller.role is Role.ADMIN
        or (caller.role is Role.BUYER and caller.principal_id == acceptance.buyer_id)
        or (caller.role is Role.OPERATOR and caller.principal_id == acceptance.operator_id)
    )
    if not allowed:  # pragma: no cover - whoever sees an acceptance and may write is a party or an admin
        raise Forbidden("not_party", "only the buyer, the agent's operator or an admin may revoke an acceptance")
    if acceptance.revoked:
        raise Conflict("acceptance_revoked", f"acceptance {acceptance.acceptance_id!r} is already revoked")
    return AcceptanceRevoked(acceptance_id=acceptance.acceptance_id, revoked_by=caller.principal_id, reason=reason)


# Tasks ------------------------------------------------------------------------------------


def submit_task(
    caller: Caller,
    acceptance: Acceptance,
    evidence: EvidenceTerms,
    task: TaskRequest,
    previous: StoredTask | None,
    task_id: str,
    now: datetime,
) -> TaskCompleted | AlreadyDone:
    """``previous`` is the task already stored under the same idempotency key, if any."""
    require_scope(caller, Scope.TASKS_WRITE)
    require_visible(caller, acceptance)
    if caller.principal_id != acceptance.buyer_id:  # pragma: no cover - only buyers hold tasks:write
        raise Forbidden("not_acceptance_buyer", "only the acceptance's buyer reports its tasks")
    if previous is not None:
        if previous.request_digest == task.digest():
            return AlreadyDone(previous.task_id)
        raise Conflict(
            "idempotency_key_reused",
            f"idempotency key {task.idempotency_key!r} was used for task {previous.task_id!r} with a different body",
            (FieldError("/idempotency_key", "already used with a different body"),),
        )
    if acceptance.revoked:
        raise Conflict("acceptance_revoked", f"acceptance {acceptance.acceptance_id!r} was revoked")
    if now >= acceptance.expires_at:
        raise Conflict(
            "acceptance_expired",
            f"acceptance {acceptance.acceptance_id!r} expired at {acceptance.expires_at.isoformat()}",
        )
    if acceptance.max_tasks is not None and acceptance.tasks_count >= acceptance.max_tasks:
        raise Conflict(
            "acceptance_exhausted", f"all {acceptance.max_tasks} tasks (max_tasks) of the acceptance are used"
        )
    if acceptance.mode is EscrowMode.AGGREGATE:
        assert acceptance.pool_size is not None
        if (acceptance.tasks_count + 1) * acceptance.price_per_task > acceptance.pool_size:
            raise Conflict(
                "acceptance_pool_exhausted",
                f"the pool of {acceptance.pool_size} pays for {acceptance.pool_size // acceptance.price_per_task} "
                f"tasks at {acceptance.price_per_task} each, and all are used",
            )
        if task.escrow_job_id is not None:
            raise invalid_field(
                "escrow_job_id_forbidden",
                "/escrow_job_id",
                "aggregate acceptances draw from the pool; omit escrow_job_id",
            )
    elif task.escrow_job_id is None:
        raise invalid_field(
            "escrow_job_id_required", "/escrow_job_id", "per_task acceptances need the ERC-8183 job id the buyer funded"
        )
    _check_sizes(task)
    _check_measurements(task)
    provenance = _provenance(acceptance, evidence, task)
    event = TaskCompleted(
        task_id=task_id,
        acceptance_id=acceptance.acceptance_id,
        pact_id=acceptance.pact_id,
        agent_id=acceptance.agent_id,
        input=task.input,
        output=task.output,
        tool_calls=task.tool_calls,
        latency_ms=task.latency_ms,
        first_token_ms=task.first_token_ms,
        cost=task.cost,
        tokens=task.tokens,
        input_tokens=task.input_tokens,
        output_tokens=task.output_tokens,
        reference=task.reference,
        escrow_job_id=task.escrow_job_id,
        idempotency_key=task.idempotency_key,
        output_digest=hashlib.sha256(task.output.encode("utf-8", "surrogatepass")).hexdigest(),
        provenance=provenance,
        countersignature=task.countersignature,
    )
    size = len(canonical_json(event.model_dump(mode="json")))
    if size > limits.MAX_TASK_EVENT_BYTES:
        raise TooLarge(
            "task_too_large", f"the task is {size} bytes as an event; the limit is {limits.MAX_TASK_EVENT_BYTES}"
        )
    return event


def _check_measurements(task: TaskRequest) -> None:
    problems = []
    split = (task.input_tokens, task.output_tokens)
    if None not in split and sum(split) != task.tokens:  # type: ignore[arg-type]
        problems.append(FieldError("/tokens", "must equal input_tokens + output_tokens"))
    if task.first_token_ms is not None and task.first_token_ms > task.latency_ms:
        problems.append(FieldError("/first_token_ms", "cannot exceed latency_ms"))
    if problems:
        raise Invalid("measurements_inconsistent", "the reported measurements contradict each other", tuple(problems))


def _provenance(acceptance: Acceptance, evidence: EvidenceTerms, task: TaskRequest) -> Provenance:
    """Countersigned when the provider's signature checks out, else buyer-only; refused when the
    pact asks for more (docs/pacts.md, "Evidence")."""
    if evidence.measured_by == "gateway":
        raise Invalid(
            "gateway_measurement_required",
            f"pact {acceptance.pact_id!r} requires its latency, cost and token clauses to be measured by the "
            "gateway (evidence.measured_by: gateway): call the agent through the gateway under this acceptance "
            "instead of reporting the task (docs/gateway.md)",
            (FieldError("", "reports are not accepted for this pact, countersigned or not"),),
        )
    if task.countersignature is None:
        if evidence.measured_by == "countersigned":
            raise invalid_field(
                "countersignature_required",
                "/countersignature",
                f"pact {acceptance.pact_id!r} accepts reports only when the provider countersigns them "
                "(evidence.measured_by: countersigned); have the provider sign this report "
                "(pactline evidence countersign) and send its signature",
            )
        return Provenance.BUYER_ONLY
    try:
        verify(task.report(acceptance.acceptance_id), task.countersignature, evidence.provider_address)
    except CountersignatureInvalid as invalid:
        raise invalid_field("countersignature_invalid", "/countersignature/signature", invalid.reason) from None
    return Provenance.COUNTERSIGNED


def dispute_task(caller: Caller, task: DisputableTask, reason: str, now: datetime) -> TaskDisputed | AlreadyDone:
    """The agent's operator disputes a buyer-only report inside the pact's dispute window."""
    require_scope(caller, Scope.ACCEPTANCES_WRITE)
    if not caller.sees(task.buyer_id, task.operator_id):
        raise NotFound("task", task.task_id)
    if caller.role is not Role.OPERATOR or caller.principal_id != task.operator_id:
        raise Forbidden("not_agent_operator", f"only the operator of agent {task.agent_id!r} disputes its tasks")
    if task.disputed:
        return AlreadyDone(task.task_id)
    if task.provenance is Provenance.COUNTERSIGNED:
        raise Conflict(
            "task_countersigned", f"task {task.task_id!r} carries your countersignature; its measurements are agreed"
        )
    closes = task.submitted_at + timedelta(seconds=task.dispute_window_seconds)
    if now > closes:
        raise Conflict(
            "dispute_window_closed",
            f"the pact's dispute window for task {task.task_id!r} closed at {closes.isoformat()}",
        )
    return TaskDisputed(
        task_id=task.task_id,
        acceptance_id=task.acceptance_id,
        agent_id=task.agent_id,
        disputed_by=caller.principal_id,
        reason=reason,
    )


def _check_sizes(task: TaskRequest) -> None:
    bounds = (
        ("/input", task.input, limits.MAX_TASK_INPUT_BYTES),
        ("/output", task.output, limits.MAX_TASK_OUTPUT_BYTES),
        ("/reference", task.reference or "", limits.MAX_TASK_REFERENCE_BYTES),
    )
    problems = tuple(
        FieldError(pointer, f"{len(text.encode('utf-8', 'surrogatepass'))} bytes; the limit is {bound} bytes (UTF-8)")
        for pointer, text, bound in bounds
        if len(text.encode("utf-8", "surrogatepass")) > bound
    )
    if problems:
        raise TooLarge("task_too_large", "the task is larger than the registry accepts", problems)
