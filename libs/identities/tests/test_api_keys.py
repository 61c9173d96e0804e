"""API keys: the format, the keyed hash, and the pure check other services make of a presented
key against what the registry announced. No IO."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import pytest

from pactline_identities import KeyRefused, KnownKey, authenticate, generate, key_hmac, key_id_of
from pactline_identities.known_keys import KNOWN_KEYS_TABLE

PEPPER = "a-pepper"
ROOT = Path(__file__).resolve().parents[3]


def known(secret: str, **changes) -> KnownKey:
    base = {
        "key_id": key_id_of(secret),
        "principal_id": "buyer-1",
        "role": "buyer",
        "scopes": frozenset({"read"}),
        "key_hmac": key_hmac(secret, PEPPER),
        "revoked": False,
    }
    return KnownKey(**{**base, **changes})


def test_a_generated_key_names_its_id_and_hides_its_secret():
    key = generate()
    assert re.fullmatch(r"pl_live_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", key.secret)
    assert key_id_of(key.secret) == key.key_id
    assert key.secret not in repr(key)
    assert generate().key_id != key.key_id


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "pl_live_",
        "pl_live_0123456789ABCDEF_x",
        "pl_live_0123456789abcdefx",
        "sk-0123456789abcdef_x",
        "pl_live_0123",
    ],
)
def test_other_shapes_have_no_key_id(presented):
    assert key_id_of(presented) is None


def test_the_hmac_is_hmac_sha256_of_the_key_under_the_pepper_in_hex():
    # The registry stores and announces exactly this; any language recomputes it.
    expected = hmac.new(b"a-pepper", b"pl_live_0123456789abcdef_s3cret", hashlib.sha256).hexdigest()
    assert key_hmac("pl_live_0123456789abcdef_s3cret", PEPPER) == expected
    assert len(expected) == 64


def test_the_announced_key_authenticates():
    secret = generate().secret
    assert authenticate(secret, known(secret), PEPPER).principal_id == "buyer-1"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("missing", "missing_api_key"),
        ("unknown id", "invalid_api_key"),
        ("wrong secret", "invalid_api_key"),
        ("other pepper", "invalid_api_key"),
        ("only the revocation seen", "invalid_api_key"),
        ("revoked", "api_key_revoked"),
    ],
)
def test_refusals(case, code):
    secret = generate().secret
    presented, key, pepper = {
        "missing": ("", known(secret), PEPPER),
        "unknown id": (secret, None, PEPPER),
        "wrong secret": (secret[:-1] + ("A" if secret[-1] != "A" else "B"), known(secret), PEPPER),
        "other pepper": (secret, known(secret), "another-pepper"),
        "only the revocation seen": (secret, known(secret, key_hmac=None, revoked=True), PEPPER),
        "revoked": (secret, known(secret, revoked=True), PEPPER),
    }[case]
    with pytest.raises(KeyRefused) as refused:
        authenticate(presented, key, pepper)
    assert refused.value.code == code
    assert secret not in refused.value.message


@pytest.mark.parametrize(
    "migration",
    [
        "services/gateway/src/pactline_gateway/migrations/0001_gateway.sql",
        "services/evaluator/src/pactline_evaluator/migrations/0002_keys_and_disputes.sql",
    ],
)
def test_each_service_that_folds_keys_creates_the_table_the_queries_expect(migration):
    def words(text: str) -> str:
        return " ".join(text.split())

    assert words(KNOWN_KEYS_TABLE) in words((ROOT / migration).read_text())
