"""Pure decisions of the gateway: who may call which agent under which acceptance, and the
TaskCompleted a measured call becomes. Time and ids are inputs; no IO here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pactline_events import AgentError, Provenance, TaskCompleted, canonical_json
from pactline_identities import KeyRefused, KnownKey
from pactline_identities import authenticate as authenticate_key
from pactline_identities import key_id_of as key_id_of  # the key format is shared with the registry

from . import metering
from .completions import ChatRequest, Completion

MAX_INPUT_BYTES = 256 * 1024  # the recorded input and output, as the registry's reports
MAX_OUTPUT_BYTES = 256 * 1024
MAX_TOOL_CALLS = 256
MAX_TASK_EVENT_BYTES = 880_000  # the payload as canonical JSON, so the event stays under 900 KB


class Refused(Exception):
    """A call the gateway will not forward. ``status`` and ``code`` are the HTTP answer."""

    def __init__(self, status: int, code: str, message: str, pointer: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.pointer = pointer


@dataclass(frozen=True)
class KnownAcceptance:
    acceptance_id: str
    pact_id: str
    agent_id: str
    buyer_id: str
    mode: str
    price_per_task: int
    pool_size: int | None
    max_tasks: int | None
    expires_at: datetime
    revoked: bool
    tasks_used: int  # calls measured here (the registry counts the reports it took)


@dataclass(frozen=True)
class TaskFrame:
    """What a call's task is recorded under, fixed before the call is forwarded."""

    task_id: str
    acceptance_id: str
    pact_id: str
    agent_id: str
    idempotency_key: str
    escrow_job_id: str | None
    price_per_task: int
    input: str
    reference: str | None


@dataclass(frozen=True)
class Admission:
    """A call the gateway forwards: where to, and its task's frame."""

    frame: TaskFrame
    base_url: str


@dataclass(frozen=True)
class Measurement:
    """What the gateway saw of one call; ``latency_ms`` is request sent -> last byte."""

    completion: Completion
    latency_ms: int
    first_token_ms: int | None
    error: AgentError | None = None


def authenticate(presented: str, key: KnownKey | None, pepper: str) -> KnownKey:
    """The key the registry announced for ``presented``, compared by HMAC in constant time; an
    unknown key id is the same answer as a wrong secret (no oracle for key ids)."""
    try:
        return authenticate_key(presented, key, pepper)
    except KeyRefused as refused:
        raise Refused(401, refused.code, refused.message) from None


def admit(
    key: KnownKey,
    acceptance_id: str,
    acceptance: KnownAcceptance | None,
    base_url: str | None,
    request: ChatRequest,
    previous_task_id: str | None,
    task_id: str,
    now: datetime,
) -> Admission:
    """Whether the buyer behind ``key`` may call the agent of ``acceptance`` now."""
    if key.role != "buyer":
        raise Refused(403, "role_not_allowed", f"only buyers call agents through the gateway, not a {key.role}")
    if "tasks:write" not in key.scopes:
        raise Refused(403, "missing_scope", "this API key lacks the tasks:write scope")
    if acceptance is None:
        raise Refused(
            404,
            "acceptance_not_found",
            f"no acceptance {acceptance_id!r} (a new acceptance reaches the gateway within seconds)",
        )
    if acceptance.buyer_id != key.principal_id:
        raise Refused(403, "not_acceptance_buyer", f"acceptance {acceptance_id!r} belongs to another buyer")
    if previous_task_id is not None:
        raise Refused(
            409,
            "idempotency_key_reused",
            f"idempotency key {request.idempotency_key!r} already measured task {previous_task_id!r}; "
            "a call is measured once, use a new key",
            "/pactline/idempotency_key",
        )
    if acceptance.revoked:
        raise Refused(409, "acceptance_revoked", f"acceptance {acceptance_id!r} was revoked")
    if now >= acceptance.expires_at:
        raise Refused(409, "acceptance_expired", f"acceptance {acceptance_id!r} expired at {acceptance.expires_at}")
    if acceptance.max_tasks is not None and acceptance.tasks_used >= acceptance.max_tasks:
        raise Refused(409, "acceptance_exhausted", f"all {acceptance.max_tasks} tasks (max_tasks) are used")
    if acceptance.mode == "aggregate":
        assert acceptance.pool_size is not None
        if (acceptance.tasks_used + 1) * acceptance.price_per_task > acceptance.pool_size:
            raise Refused(409, "acceptance_pool_exhausted", f"the pool of {acceptance.pool_size} is used up")
        if request.escrow_job_id is not None:
            raise Refused(
                422, "escrow_job_id_forbidden", "aggregate acceptances draw from the pool", "/pactline/escrow_job_id"
            )
    elif request.escrow_job_id is None:
        raise Refused(
            422,
            "escrow_job_id_required",
            "per_task acceptances need the ERC-8183 job the buyer funded: pactline.escrow_job_id",
            "/pactline/escrow_job_id",
        )
    if base_url is None:
        raise Refused(
            409,
            "agent_endpoint_missing",
            f"agent {acceptance.agent_id!r} has no registered endpoint; its operator registers one first",
        )
    if len(request.messages_json.encode("utf-8")) > MAX_INPUT_BYTES:
        raise Refused(413, "task_too_large", f"the messages are over {MAX_INPUT_BYTES} bytes as JSON", "/messages")
    if request.reference is not None and len(request.reference.encode("utf-8")) > MAX_INPUT_BYTES // 2:
        raise Refused(413, "task_too_large", "the reference is over 128 KiB", "/pactline/reference")
    frame = TaskFrame(
        task_id=task_id,
        acceptance_id=acceptance.acceptance_id,
        pact_id=acceptance.pact_id,
        agent_id=acceptance.agent_id,
        idempotency_key=request.idempotency_key or task_id,
        escrow_job_id=request.escrow_job_id,
        price_per_task=acceptance.price_per_task,
        input=request.messages_json,
        reference=request.reference,
    )
    return Admission(frame, base_url)


def task_completed(frame: TaskFrame, measured: Measurement) -> TaskCompleted:
    """The evidence of one measured call, within the event size limits: an output or tool calls
    too large to record are cut and the cut is recorded as an agent error."""
    completion, error = _bounded(measured.completion, measured.error)
    while True:
        input_tokens, output_tokens, source = metering.count_tokens(frame.input, completion)
        event = TaskCompleted(
            task_id=frame.task_id,
            acceptance_id=frame.acceptance_id,
            pact_id=frame.pact_id,
            agent_id=frame.agent_id,
            input=frame.input,
            output=completion.output,
            tool_calls=completion.tool_calls,
            latency_ms=measured.latency_ms,
            first_token_ms=measured.first_token_ms,
            cost=metering.price(frame.price_per_task),
            tokens=input_tokens + output_tokens,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            token_source=source,
            reference=frame.reference,
            escrow_job_id=frame.escrow_job_id,
            idempotency_key=frame.idempotency_key,
            output_digest=hashlib.sha256(completion.output.encode("utf-8")).hexdigest(),
            provenance=Provenance.GATEWAY,
            agent_error=error,
        )
        # Escaping can grow text sixfold at most; below that bound the size check is skipped.
        if _raw_size(event) * 6 + 4096 <= MAX_TASK_EVENT_BYTES:
            return event
        size = len(canonical_json(event.model_dump(mode="json")))
        if size <= MAX_TASK_EVENT_BYTES:
            return event
        # Escaping (control characters take six bytes) made it too large: keep half.
        half = _cut_utf8(completion.output, len(completion.output.encode("utf-8")) // 2)
        completion = Completion(half, completion.tool_calls[: len(completion.tool_calls) // 2], *_usage(completion))
        error = _too_large(error, f"the task was {size} bytes as an event; output and tool calls were cut")


def interrupted(frame: TaskFrame, started_at: datetime, now: datetime) -> TaskCompleted:
    """The evidence of a call its gateway lost (a crash between forwarding and recording): no
    answer is known, and ``latency_ms`` is only how long the call was open unrecorded."""
    open_ms = max(0, int((now - started_at).total_seconds() * 1000))
    error = AgentError(
        kind="interrupted", message="the gateway stopped before it recorded this call; its answer is unknown"
    )
    return task_completed(frame, Measurement(Completion(), latency_ms=open_ms, first_token_ms=None, error=error))


def _raw_size(event: TaskCompleted) -> int:
    calls = sum(len(c.name) + len(str(c.arguments)) for c in event.tool_calls)
    texts = (event.input, event.output, event.reference or "")
    return sum(len(t.encode("utf-8")) for t in texts) + calls


def _bounded(completion: Completion, error: AgentError | None) -> tuple[Completion, AgentError | None]:
    output, calls = completion.output, completion.tool_calls
    if len(output.encode("utf-8")) > MAX_OUTPUT_BYTES:
        output = _cut_utf8(output, MAX_OUTPUT_BYTES)
        error = _too_large(error, f"the output was cut at {MAX_OUTPUT_BYTES} bytes")
    if len(calls) > MAX_TOOL_CALLS:
        calls = calls[:MAX_TOOL_CALLS]
        error = _too_large(error, f"only the first {MAX_TOOL_CALLS} tool calls are recorded")
    return Completion(output, calls, *_usage(completion)), error


def _usage(completion: Completion) -> tuple[int | None, int | None]:
    return completion.usage_input_tokens, completion.usage_output_tokens


def _too_large(error: AgentError | None, message: str) -> AgentError:
    # An earlier error (a timeout, a bad status) says more about the call: keep it.
    return error if error is not None else AgentError(kind="too_large", message=message)


def _cut_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")
