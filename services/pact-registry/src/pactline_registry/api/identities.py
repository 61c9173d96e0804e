"""Principals (operators, buyers, auditors, admins) and their API keys. Admins manage them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from pactline_events import ApiKeyIssued, utc_now
from pactline_identities import api_keys

from .. import domain
from ..domain import ADDRESS_ROLES, ROLE_SCOPES, AlreadyDone, ApiKey, Caller, Role, Scope, require_scope
from ..errors import Forbidden, Invalid, NotFound, invalid_field
from ..store import queries as q
from .auth import authenticate, reader, registry_settings
from .edge import PageParams, emit, new_id, pool
from .models import (
    ERROR_RESPONSES,
    KeyCreate,
    KeyCreated,
    KeyOut,
    Me,
    Page,
    PrincipalCreate,
    PrincipalCreated,
    PrincipalOut,
)
from .route_class import RegistryRoute

router = APIRouter(prefix="/v1", tags=["identities"], route_class=RegistryRoute, responses=ERROR_RESPONSES)


def _scopes(role: Role, wanted: list[Scope] | None) -> list[str]:
    allowed = ROLE_SCOPES[role]
    if wanted is None:
        return sorted(s.value for s in allowed)
    extra = sorted(s.value for s in set(wanted) - allowed)
    if extra:
        raise invalid_field("scope_not_allowed", "/scopes", f"a {role} key cannot hold {', '.join(extra)}")
    if not wanted:
        raise invalid_field("scopes_empty", "/scopes", "give at least one scope, or omit scopes for all of the role's")
    return sorted({s.value for s in wanted})


async def _announce_key(conn, key_row, role: Role, key_hash: str, now) -> None:
    """Services that authenticate callers themselves (the gateway) learn keys from this event:
    the HMAC travels, never the key (docs/gateway.md, "Authentication")."""
    issued = ApiKeyIssued(
        key_id=key_row["key_id"],
        principal_id=key_row["principal_id"],
        role=role.value,
        scopes=tuple(key_row["scopes"]),
        key_hmac=key_hash,
    )
    await emit(conn, f"principal-{key_row['principal_id']}", issued, now)


def _key_out(row, secret: str | None = None) -> KeyOut:
    fields = {k: row[k] for k in ("key_id", "principal_id", "scopes", "label", "created_at", "revoked_at")}
    return KeyCreated(**fields, api_key=secret) if secret else KeyOut(**fields)


@router.post(
    "/principals",
    status_code=201,
    response_model=PrincipalCreated,
    summary="Create a principal and its first key (admin)",
)
async def create_principal(
    body: PrincipalCreate, request: Request, caller: Caller = Depends(authenticate)
) -> PrincipalCreated:
    require_scope(caller, Scope.ADMIN)
    if body.role in ADDRESS_ROLES and body.address is None:
        raise invalid_field("address_required", "/address", f"a {body.role} signs on chain and needs an EVM address")
    scopes = _scopes(body.role, body.scopes)
    new_key = api_keys.generate()
    pepper = registry_settings(request).registry_key_pepper.get_secret_value()
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        principal = await q.insert_principal(
            conn,
            principal_id=new_id("prn"),
            role=body.role.value,
            name=body.name,
            address=body.address,
            created_at=now,
        )
        key_hash = api_keys.key_hmac(new_key.secret, pepper)
        key = await q.insert_key(
            conn,
            key_id=new_key.key_id,
            principal_id=principal["principal_id"],
            key_hash=key_hash,
            scopes=scopes,
            label=body.label,
            created_at=now,
        )
        await _announce_key(conn, key, body.role, key_hash, now)
    return PrincipalCreated(principal=PrincipalOut(**dict(principal)), key=_key_out(key, new_key.secret))


@router.get("/principals", response_model=Page[PrincipalOut], summary="List principals (admin, auditor)")
async def list_principals(request: Request, page: PageParams = Depends(), caller: Caller = Depends(reader)) -> Page:
    if caller.role not in (Role.ADMIN, Role.AUDITOR):
        raise Forbidden("role_not_allowed", "only admins and auditors list principals")
    async with pool(request).acquire() as conn:
        rows = [r async for r in q.page_principals(conn, after=page.after, limit=page.limit)]
    return Page(items=[PrincipalOut(**dict(r)) for r in rows], next_cursor=page.next_cursor(rows))


@router.get("/me", response_model=Me, summary="The principal and scopes of the key in use")
async def me(caller: Caller = Depends(authenticate)) -> Me:
    return Me(principal_id=caller.principal_id, role=caller.role, address=caller.address, scopes=sorted(caller.scopes))


@router.post("/keys", status_code=201, response_model=KeyCreated, summary="Create another key for a principal (admin)")
async def create_key(body: KeyCreate, request: Request, caller: Caller = Depends(authenticate)) -> KeyOut:
    require_scope(caller, Scope.ADMIN)
    new_key = api_keys.generate()
    pepper = registry_settings(request).registry_key_pepper.get_secret_value()
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        principal = await q.get_principal(conn, principal_id=body.principal_id)
        if principal is None:
            raise Invalid("principal_not_found", f"no principal with id {body.principal_id!r}")
        role = Role(principal["role"])
        scopes = _scopes(role, body.scopes)
        key_hash = api_keys.key_hmac(new_key.secret, pepper)
        row = await q.insert_key(
            conn,
            key_id=new_key.key_id,
            principal_id=body.principal_id,
            key_hash=key_hash,
            scopes=scopes,
            label=body.label,
            created_at=now,
        )
        await _announce_key(conn, row, role, key_hash, now)
    return _key_out(row, new_key.secret)


@router.post(
    "/keys/{key_id}/revoke",
    response_model=KeyOut,
    summary="Revoke a key (an admin, or the key's own principal with a key that may write)",
    description="A read-only key revokes nothing; an admin key needs the admin scope to revoke other principals' "
    "keys. Another principal's key is a 404 to anyone but an admin, as an unknown id is.",
)
async def revoke_key(
    request: Request, key_id: str = Path(min_length=1, max_length=64), caller: Caller = Depends(authenticate)
) -> KeyOut:
    async with pool(request).acquire() as conn, conn.transaction():
        # Decided on the unlocked row: a caller who may not revoke the key locks nothing.
        row = await q.get_key(conn, key_id=key_id)
        if row is None:
            raise NotFound("api_key", key_id)
        domain.revoke_key(caller, ApiKey.from_row(row))
        row = await q.lock_key(conn, key_id=key_id)
        decision = domain.revoke_key(caller, ApiKey.from_row(row))
        if not isinstance(decision, AlreadyDone):
            now = utc_now()
            await emit(conn, f"principal-{row['principal_id']}", decision, now)
            row = await q.revoke_key(conn, key_id=key_id, revoked_at=now)
    return _key_out(row)
