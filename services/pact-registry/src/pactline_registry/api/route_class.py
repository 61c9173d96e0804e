"""The registry's route class: every refusal leaves as one error body, with the fields at fault.

    {"error": {"code": "...", "message": "...", "fields": [{"pointer": "/escrow/mode", "in": "body",
     "message": "..."}]}}

Done per route (not with app-level handlers) so the routers carry it wherever they are mounted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from pactline_pacts import PactInvalid
from pactline_pacts.errors import join_pointer

from .. import limits
from ..errors import Kind, RegistryError, TooLarge
from .auth import authenticate_request

log = logging.getLogger(__name__)

STATUS = {
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.TOO_LARGE: 413,
    Kind.INVALID: 422,
}


def error_response(status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"error": {"code": code, "message": message, "fields": fields or []}}
    return JSONResponse(body, status_code=status, headers=headers)


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
                length = request.headers.get("content-length", "")
                if length.isascii() and length.isdigit() and int(length) > limits.MAX_REQUEST_BYTES:
                    raise TooLarge(
                        "request_too_large", f"the body is {length} bytes; the limit is {limits.MAX_REQUEST_BYTES}"
                    )
                await _read_body(request)
                return await handler(request)
            except RegistryError as exc:
                fields = [{"in": "body", "pointer": f.pointer, "message": f.message} for f in exc.fields]
                return error_response(STATUS[exc.kind], exc.code, exc.message, fields)
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
