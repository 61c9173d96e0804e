"""API keys are shown once and never kept or logged in clear: only an HMAC of each is stored."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest

from registry_testkit import BOOTSTRAP_KEY, auth

pytestmark = pytest.mark.infra


async def test_keys_are_stored_hashed_and_never_logged(registry, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    principal_id, key = await registry.principal("buyer", name="shop")
    assert key.startswith("pl_live_")
    assert (await registry.client.get("/v1/me", headers=auth(key))).json()["principal_id"] == principal_id
    await registry.client.get("/v1/me", headers=auth(key + "x"))  # a failed attempt is not logged with the key

    secret = key.split("_", 3)[3]
    async with registry.service.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM api_keys")
        dump = " ".join(str(dict(r)) for r in rows)
        outbox = b"".join(bytes(r["value"]) for r in await conn.fetch("SELECT value FROM outbox"))
    assert rows
    assert secret not in dump
    assert key not in dump
    assert secret.encode() not in outbox
    # What is stored is exactly HMAC-SHA256(pepper, key): not the key, not a plain hash of it.
    stored = {r["key_hash"] for r in rows}
    assert hmac.new(b"test-pepper", key.encode(), hashlib.sha256).hexdigest() in stored
    assert hashlib.sha256(key.encode()).hexdigest() not in stored

    shown = (
        await registry.client.post("/v1/keys", json={"principal_id": principal_id}, headers=auth(BOOTSTRAP_KEY))
    ).json()
    listed = await registry.client.get("/v1/me", headers=auth(shown["api_key"]))
    assert listed.status_code == 200
    logged = caplog.text + "".join(capfd.readouterr())
    for secret_text in (key, secret, shown["api_key"], BOOTSTRAP_KEY):
        assert secret_text not in logged
    assert "pact-registry" in logged or "HTTP Request" in logged  # logs were captured at all
