"""Authentication: the bearer key names a principal; its role and the key's scopes decide the rest."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pactline_identities import api_keys

from .. import store
from ..domain import ROLE_SCOPES, Caller, Role, Scope, require_scope
from ..errors import Unauthenticated
from ..settings import RegistrySettings

BOOTSTRAP_PRINCIPAL = "admin-bootstrap"
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer pl_live_...`")


def registry_settings(request: Request) -> RegistrySettings:
    return request.app.state.service.settings


async def authenticate_request(request: Request) -> Caller:
    """Who is calling. Runs before the body is parsed (see RegistryRoute), so a request without
    a valid key is a 401 whatever else is wrong with it."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise Unauthenticated("missing_api_key", "send an API key: Authorization: Bearer <key>")
    settings = registry_settings(request)
    bootstrap = settings.registry_bootstrap_admin_key
    if (
        bootstrap is not None
        and bootstrap.get_secret_value()
        and hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), bootstrap.get_secret_value().encode())
    ):
        return Caller(BOOTSTRAP_PRINCIPAL, Role.ADMIN, None, ROLE_SCOPES[Role.ADMIN])
    pepper = settings.registry_key_pepper.get_secret_value()
    key_id = api_keys.key_id_of(presented)
    row = await store.queries.key_with_principal(request.app.state.service.pool, key_id=key_id) if key_id else None
    # An unknown id is compared too, so it costs as much time as a wrong secret.
    if not api_keys.matches(presented, row["key_hash"] if row else None, pepper) or row is None:
        raise Unauthenticated("invalid_api_key", "the API key is not valid")
    if row["revoked_at"] is not None:
        raise Unauthenticated("api_key_revoked", f"API key {row['key_id']} was revoked")
    role = Role(row["role"])
    return Caller(
        row["principal_id"], role, row["address"], frozenset(Scope(s) for s in row["scopes"]), key_id=row["key_id"]
    )


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Caller:
    """The caller RegistryRoute authenticated; the bearer scheme is declared for the OpenAPI document."""
    return request.state.caller


def reader(caller: Caller = Depends(authenticate)) -> Caller:
    require_scope(caller, Scope.READ)
    return caller
