"""The registry's route class: every refusal leaves as one error body, with the fields at fault.

    {"error": {"code": "...", "message": "...", "fields": [{"pointer": "/escrow/mode", "in": "body",
     "message": "..."}]}}

Done per route (not with app-level handlers) so the routers carry it wherever they are mounted.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from pactline_pacts import PactInvalid
from pactline_pacts.errors import join_pointer
from pactline_service.rate_limits import TokenBuckets

from .. import limits
from ..errors import Kind, RegistryError, TooLarge, TooManyRequests
from .auth import authenticate_request

log = logging.getLogger(__name__)

STATUS = {
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.TOO_LARGE: 413,
    Kind.INVALID: 422,
    Kind.TOO_MANY: 429,
    Kind.UNAVAILABLE: 503,
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_LIMITER = "write_limiter"  # the service resource holding the TokenBuckets


def error_response(
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    retry_after_s: int | None = None,
) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if retry_after_s is not None:
        headers["Retry-After"] = str(retry_after_s)
    body = {"error": {"code": code, "message": message, "fields": fields or []}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def _limit_writes(request: Request) -> None:
    """Each API key writes at most at the configured rate (docs/pacts.md, "Limits")."""
    if request.method not in WRITE_METHODS:
        return
    limiter: TokenBuckets = request.app.state.service.resources[WRITE_LIMITER]
    caller = request.state.caller
    wait = limiter.take(caller.key_id or caller.principal_id, time.monotonic())
    if wait is not None:
        retry_after = max(1, math.ceil(wait))
        raise TooManyRequests(
            "rate_limited",
            f"this API key made more than {limiter.burst} writes in a burst or {limiter.rate_per_s:g} a second; "
            f"retry in {retry_after} s",
            retry_after_s=retry_after,
        )


def validation_fields(exc: RequestValidationError) -> list[dict[str, str]]:
    fields = []
    for detail in exc.errors():
        where, *path = detail.get("loc", ()) or ("body",)
        pointer = ""
        for part in path:
            pointer = join_pointer(pointer, part)
        if detail.get("type") == "json_invalid":
            fields.append({"in": "body", "pointer": "", "message": f"invalid JSON: {detail.get('msg')}"})
            continue
        missing = detail.get("type") == "missing"
        message = "required field is missing" if missing else str(detail.get("msg", "invalid"))
        fields.append({"in": str(where), "pointer": pointer, "message": message})
    return fields


async def _read_body(request: Request) -> None:
    """Read the body once, refusing it as soon as it passes the limit (chunked bodies too).

    Starlette keeps what was read, so FastAPI's body parsing and ``request.stream()`` reuse it.
    """
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.MAX_REQUEST_BYTES:
            raise TooLarge("request_too_large", f"the body passed {limits.MAX_REQUEST_BYTES} bytes, the limit")
        chunks.append(chunk)
    request._body = b"".join(chunks)


class RegistryRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                request.state.caller = await authenticate_request(request)
                _limit_writes(request)
                length = request.headers.get("content-length", "")
                if length.isascii() and length.isdigit() and int(length) > limits.MAX_REQUEST_BYTES:
                    raise TooLarge(
                        "request_too_large", f"the body is {length} bytes; the limit is {limits.MAX_REQUEST_BYTES}"
                    )
                await _read_body(request)
                return await handler(request)
            except RegistryError as exc:
                fields = [{"in": "body", "pointer": f.pointer, "message": f.message} for f in exc.fields]
                return error_response(STATUS[exc.kind], exc.code, exc.message, fields, exc.retry_after_s)
            except PactInvalid as exc:
                fields = [{"in": "body", "pointer": e.pointer, "message": e.message} for e in exc.errors]
                return error_response(422, "pact_invalid", f"the pact has {len(fields)} problem(s)", fields)
            except HTTPException as exc:  # FastAPI's own, e.g. a body that is not UTF-8
                code = "body_unreadable" if exc.status_code == 400 else f"http_{exc.status_code}"
                return error_response(exc.status_code, code, str(exc.detail))
            except RequestValidationError as exc:
                fields = validation_fields(exc)
                summary = "; ".join(f"{f['pointer'] or '<' + f['in'] + '>'}: {f['message']}" for f in fields[:3])
                return error_response(422, "request_invalid", f"the request is invalid: {summary}", fields)

        return handle
