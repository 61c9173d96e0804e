"""The gateway's HTTP API: an OpenAI-compatible chat completions endpoint per acceptance.

Point any OpenAI client at ``<gateway>/v1/acceptances/<acceptance_id>`` with a registry API key
as its API key. Authentication comes before anything else is looked at.
"""

from __future__ import annotations

import re

import asyncpg
from fastapi import APIRouter, Path, Request, Response

from pactline_events import new_event_id, utc_now

from . import completions, domain, store
from .calls import Gateway, error_body
from .completions import RequestInvalid
from .domain import Admission, Refused
from .settings import GatewaySettings

router = APIRouter(prefix="/v1", tags=["gateway"])
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

_ERRORS = {
    status: {"description": text, "content": {"application/json": {}}}
    for status, text in {
        401: "No key, an unknown key or a revoked key",
        403: "The key's role, scope or buyer does not allow this",
        404: "No such acceptance (yet)",
        409: "The acceptance's state does not allow another call",
        413: "Too large",
        422: "Not a chat completion the gateway can measure",
        502: "The agent could not be reached (the failed call is recorded)",
        504: "The agent did not answer in time (the failed call is recorded)",
    }.items()
}


_CHAT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["messages"],
                "properties": {
                    "messages": {"type": "array", "minItems": 1, "items": {"type": "object"}},
                    "stream": {"type": "boolean"},
                    "n": {"type": "integer", "enum": [1]},
                    "pactline": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "idempotency_key": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,200}$"},
                            "escrow_job_id": {"type": "string", "pattern": "^(0|[1-9][0-9]{0,77})$"},
                            "reference": {"type": "string"},
                        },
                    },
                },
                "additionalProperties": True,
                "description": "An OpenAI chat completion request, forwarded as it is, plus the `pactline` object",
            }
        }
    },
}


@router.post(
    "/acceptances/{acceptance_id}/chat/completions",
    summary="Call the acceptance's agent (OpenAI chat completions), measured by the platform",
    description="The body is an OpenAI chat completion request (`stream` true or false), plus an optional "
    "`pactline` object: `idempotency_key`, `escrow_job_id` (per_task acceptances), `reference`. The answer is the "
    "agent's, passed through; `X-Pactline-Task-Id` names the TaskCompleted recorded for it (docs/gateway.md).",
    responses=_ERRORS,
    openapi_extra={"requestBody": _CHAT_BODY},
)
async def chat_completions(
    request: Request, acceptance_id: str = Path(description="The acceptance the call is made under")
) -> Response:
    service = request.app.state.service
    settings: GatewaySettings = service.settings
    gateway: Gateway = service.resources["gateway"]
    try:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        presented = presented.strip() if scheme.lower() == "bearer" else ""
        if not presented:
            raise Refused(401, "missing_api_key", "send a registry API key: Authorization: Bearer <key>")
        raw = await _read_body(request, settings.gateway_max_request_bytes)
        chat, invalid = _parse(raw)
        async with service.resources["calls_pool"].acquire() as conn:
            admission = await _admit(conn, presented, acceptance_id, chat, invalid, settings)
    except Refused as refused:
        headers = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
        body = error_body(refused.code, refused.message, refused.pointer)
        return Response(body, status_code=refused.status, media_type="application/json", headers=headers)
    return await gateway.call(admission, chat)


async def _admit(
    conn: asyncpg.Connection,
    presented: str,
    acceptance_id: str,
    chat: completions.ChatRequest | None,
    invalid: RequestInvalid | None,
    settings: GatewaySettings,
) -> Admission:
    """Authenticate, decide, and reserve the call: two round trips on one connection."""
    context = await store.call_context(
        conn,
        domain.key_id_of(presented),
        acceptance_id,
        chat.idempotency_key if chat else None,
        chat.escrow_job_id if chat else None,
    )
    key = domain.authenticate(presented, context.key, settings.registry_key_pepper.get_secret_value())
    if invalid is not None:
        raise Refused(422, "request_invalid", invalid.message, invalid.pointer)
    assert chat is not None
    if context.job_task_id is not None:
        raise _job_used(chat.escrow_job_id, context.job_task_id)
    now = utc_now()
    task_id = f"tsk-{new_event_id().hex}"
    admission = domain.admit(
        key, acceptance_id, context.acceptance, context.base_url, chat, context.previous_task_id, task_id, now
    )
    try:
        reserved = await store.reserve_task(conn, admission.frame, now)
    except asyncpg.UniqueViolationError:
        # A concurrent call took the key or the job between the lookup and the reservation.
        raise Refused(
            409,
            "idempotency_key_reused" if chat.escrow_job_id is None else "escrow_job_already_used",
            "a concurrent call took this idempotency key or escrow job; a call is measured once",
        ) from None
    if not reserved:
        raise Refused(409, "acceptance_exhausted", "a concurrent call took the acceptance's last task")
    return admission


def _job_used(job: str | None, task_id: str) -> Refused:
    return Refused(
        409, "escrow_job_already_used", f"escrow job {job} already pays for task {task_id}", "/pactline/escrow_job_id"
    )


def _parse(raw: bytes) -> tuple[completions.ChatRequest | None, RequestInvalid | None]:
    try:
        return completions.parse_request(raw), None
    except RequestInvalid as invalid:
        return None, invalid


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` (chunked bodies too)."""
    length = request.headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > limit:
        raise Refused(413, "request_too_large", f"the body is {length} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, "request_too_large", f"the body passed {limit} bytes, the limit")
        chunks.append(chunk)
    return b"".join(chunks)
