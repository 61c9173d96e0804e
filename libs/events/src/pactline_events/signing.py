"""Event signatures: who wrote an event, checked by everyone who reads it.

Each producing service holds one Ed25519 key (several over time: ids allow rotation). It signs
the **canonical JSON of the event without its ``signature`` member** (``key_id`` included, so
the key id is signed too) and stores the 64-byte signature as 128 lowercase hex digits in
``signature``. The bytes on the log are the canonical JSON of the whole event, signature
included; the event hash and the chain cover them. Ed25519 (RFC 8032) is deterministic, so
re-signing the same event gives the same bytes: replays stay byte-identical.

In canonical JSON the top-level ``signature`` member sits between ``schema_version`` and
``stream_id``, and no string can contain the bytes ``,"signature":"`` unescaped, so the
signed bytes are the logged bytes with that one member cut out, and the logged bytes are the
signed bytes with it put in: neither side encodes the event a second time.

A reader accepts an event (``EventVerifier``) only if its ``producer`` may write its type
(``catalog.EVENT_PRODUCERS``), its ``key_id`` is in the reader's trust store and belongs to
that producer, the signature verifies, and the topic it was read from carries its type.
docs/events.md specifies all of it for other languages.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

from .canonical import canonical_json
from .catalog import producers_of
from .codec import encode
from .envelope import KEY_ID_PATTERN, Envelope
from .errors import EventError, ForgedEvent, MisroutedEvent
from .topics import TOPIC_OF_EVENT

SIGNATURE_MEMBER = b',"signature":"'
_KEY_ID = re.compile(KEY_ID_PATTERN)
_HEX_SIGNATURE = re.compile(r"[0-9a-f]{128}")
_HEX_KEY = re.compile(r"[0-9a-f]{64}")


class KeyMaterialError(EventError):
    """A signing key or trust store that cannot be used; says which and why (never the key)."""


class WrongSigningKey(EventError):
    """A service tried to sign an event in another producer's name."""


def default_key_id(producer: str, public_raw: bytes) -> str:
    """``<producer>:<first 16 hex digits of SHA-256 of the raw 32-byte public key>``."""
    return f"{producer}:{hashlib.sha256(public_raw).hexdigest()[:16]}"


def _public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_key_id(key_id: str) -> str:
    if not _KEY_ID.fullmatch(key_id):
        raise KeyMaterialError(f"key id {key_id!r} does not match {KEY_ID_PATTERN}")
    return key_id


@dataclass(frozen=True)
class EventSigningKey:
    """One producer's private key and its id. ``repr`` never shows the key."""

    producer: str
    key_id: str
    private_key: Ed25519PrivateKey

    def __repr__(self) -> str:
        return f"EventSigningKey(producer={self.producer!r}, key_id={self.key_id!r})"

    @classmethod
    def of(cls, private: Ed25519PrivateKey, producer: str, key_id: str | None = None) -> EventSigningKey:
        """Wrap a key; the key id defaults to ``default_key_id``."""
        chosen = key_id or default_key_id(producer, _public_raw(private.public_key()))
        return cls(producer, _check_key_id(chosen), private)

    @classmethod
    def generate(cls, producer: str, key_id: str | None = None) -> EventSigningKey:
        return cls.of(Ed25519PrivateKey.generate(), producer, key_id)

    @classmethod
    def from_text(cls, text: str, producer: str, key_id: str | None = None) -> EventSigningKey:
        """A PKCS#8 PEM Ed25519 key (``openssl genpkey -algorithm ed25519``) or its 32-byte seed
        as 64 hex digits; the key id defaults to ``default_key_id``."""
        stripped = text.strip()
        if _HEX_KEY.fullmatch(stripped.lower()):
            private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stripped))
        else:
            try:
                loaded = serialization.load_pem_private_key(stripped.encode(), password=None)
            except (ValueError, TypeError) as exc:
                raise KeyMaterialError(
                    f"the signing key of {producer} is neither a PKCS#8 PEM key nor a 64-hex-digit seed "
                    f"({type(exc).__name__})"
                ) from None
            if not isinstance(loaded, Ed25519PrivateKey):
                raise KeyMaterialError(f"the signing key of {producer} is a {type(loaded).__name__}, not Ed25519")
            private = loaded
        return cls.of(private, producer, key_id)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def trusted(self) -> TrustedKey:
        """The public half, as a trust store lists it."""
        return TrustedKey(self.key_id, self.producer, self.private_key.public_key())

    @functools.cached_property
    def _libsodium_secret(self) -> bytes:
        seed = self.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return crypto_sign_seed_keypair(seed)[1]

    def signature(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message`` (RFC 8032: deterministic, the same bytes as
        OpenSSL's), made by libsodium (PyNaCl), the faster of the two here."""
        return crypto_sign(message, self._libsodium_secret)[:64]

    def sign(self, envelope: Envelope, payload_json: bytes | None = None) -> tuple[Envelope, bytes]:
        """``envelope`` signed with this key, and its canonical bytes (what goes on the log).

        ``envelope`` should already carry this key's id (``PendingEvent.seal(key_id=...)``);
        otherwise it is set here at the cost of a copy. ``payload_json`` is the payload's canonical
        bytes when the caller has them already (see ``encode``).
        """
        if envelope.producer != self.producer:
            raise WrongSigningKey(f"{self!r} cannot sign an event of producer {envelope.producer!r}")
        if envelope.key_id != self.key_id or envelope.signature is not None:
            envelope = envelope.model_copy(update={"key_id": self.key_id, "signature": None})
        unsigned = encode(envelope, payload_json)
        signature = self.signature(unsigned).hex()
        return envelope.model_copy(update={"signature": signature}), insert_signature(unsigned, signature)


def insert_signature(unsigned: bytes, signature: str) -> bytes:
    """The canonical bytes of a signed event from those of the event without ``signature``.

    ``signature`` sorts right before ``stream_id``; the last ``,"stream_id":`` is the
    top-level one (payload comes earlier in key order, and no string holds it unescaped).
    """
    at = unsigned.rindex(b',"stream_id":')
    return b"".join((unsigned[:at], SIGNATURE_MEMBER, signature.encode(), b'"', unsigned[at:]))


def remove_signature(raw: bytes, signature: str) -> bytes | None:
    """The signed bytes: ``raw`` without its ``"signature"`` member, or None if it is missing.

    Only a top-level member can leave bytes that verify: a copy placed inside the payload
    would leave no signature at the top level, which the reader requires first.
    """
    member = SIGNATURE_MEMBER + signature.encode() + b'"'
    at = raw.rfind(member)
    if at < 0:
        return None
    return raw[:at] + raw[at + len(member) :]


@dataclass(frozen=True)
class TrustedKey:
    key_id: str
    producer: str
    public_key: Ed25519PublicKey

    @property
    def public_hex(self) -> str:
        return _public_raw(self.public_key).hex()

    @functools.cached_property
    def _raw(self) -> bytes:
        return _public_raw(self.public_key)

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message`` (RFC 8032).

        Checked by libsodium (PyNaCl), which took half the time of OpenSSL's verification
        here; every consumer verifies every event it acts on."""
        try:
            crypto_sign_open(signature + message, self._raw)
        except BadSignatureError:
            return False
        return True


class TrustStore:
    """The published public keys: key id -> (producer, Ed25519 public key). Not secret.

    JSON form: ``{"keys": [{"key_id": ..., "producer": ..., "public_key": <64 hex digits>}]}``.
    A producer may have several keys (rotation); a key id is listed once.
    """

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for key in keys:
            if key.key_id in self._keys:
                raise KeyMaterialError(f"key id {key.key_id!r} is listed twice in the trust store")
            self._keys[key.key_id] = key

    def get(self, key_id: str) -> TrustedKey | None:
        return self._keys.get(key_id)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._keys.values())

    @property
    def producers(self) -> frozenset[str]:
        return frozenset(k.producer for k in self._keys.values())

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any], *, source: str = "trust store") -> TrustStore:
        try:
            parsed = json.loads(data) if isinstance(data, (str, bytes)) else data
            entries = parsed["keys"]
            if not isinstance(entries, list):
                raise TypeError("keys must be a list")
            keys = []
            for n, entry in enumerate(entries):
                public = entry["public_key"]
                if not isinstance(public, str) or not _HEX_KEY.fullmatch(public):
                    raise ValueError(f"keys[{n}].public_key must be 64 lowercase hex digits (a raw Ed25519 key)")
                producer = entry["producer"]
                if not isinstance(producer, str) or not producer:
                    raise ValueError(f"keys[{n}].producer must be a service name")
                keys.append(
                    TrustedKey(
                        _check_key_id(str(entry["key_id"])),
                        producer,
                        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public)),
                    )
                )
        except KeyMaterialError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise KeyMaterialError(f"{source} is not a valid trust store: {type(exc).__name__}: {exc}") from None
        return cls(keys)

    @classmethod
    def from_file(cls, path: Path) -> TrustStore:
        try:
            text = path.read_text()
        except OSError as exc:
            raise KeyMaterialError(f"cannot read the trust store {path}: {exc.strerror}") from None
        return cls.from_json(text, source=str(path))

    def to_json(self) -> bytes:
        entries = [
            {"key_id": k.key_id, "producer": k.producer, "public_key": k.public_hex}
            for k in sorted(self._keys.values(), key=lambda k: k.key_id)
        ]
        return canonical_json({"keys": entries})


Routes = Mapping[str, Collection[str]]
"""Topic name -> the event types it may carry (the catalog's, or a consumer's stand-in topics)."""

CATALOG_ROUTES: Routes = {}
for _type, _topic in TOPIC_OF_EVENT.items():
    CATALOG_ROUTES.setdefault(_topic, set()).add(_type)  # type: ignore[attr-defined]


class EventVerifier:
    """Decides whether a reader may act on an event: raises ``ForgedEvent`` or ``MisroutedEvent``.

    ``require_signatures=False`` accepts unsigned events (a log written before signing, local
    use only); a signature that is present is always checked.
    """

    def __init__(self, trust: TrustStore, *, require_signatures: bool = True) -> None:
        self.trust = trust
        self.require_signatures = require_signatures

    def check(self, envelope: Envelope, raw: bytes, *, topic: str | None = None, routes: Routes | None = None) -> None:
        """Check a decoded event against the bytes it was decoded from (and the topic it came from)."""
        self.check_fields(
            raw,
            event_type=envelope.event_type,
            event_id=envelope.event_id,
            stream_id=envelope.stream_id,
            stream_seq=envelope.stream_seq,
            producer=envelope.producer,
            key_id=envelope.key_id,
            signature=envelope.signature,
            topic=topic,
            routes=routes,
        )

    def check_fields(
        self,
        raw: bytes,
        *,
        event_type: Any,
        event_id: Any,
        stream_id: Any,
        stream_seq: Any,
        producer: Any,
        key_id: Any,
        signature: Any,
        topic: str | None = None,
        routes: Routes | None = None,
    ) -> None:
        """The same check on the envelope's fields as parsed from ``raw`` (for log readers)."""
        names = {"event_type": event_type, "event_id": event_id, "stream_id": stream_id, "stream_seq": stream_seq}

        def forged(reason: str) -> ForgedEvent:
            return ForgedEvent(reason, **names)

        allowed = producers_of(event_type) if isinstance(event_type, str) else ()
        if producer not in allowed:
            who = ", ".join(allowed) or "no producer (unknown type)"
            raise forged(f"producer {producer!r} may not write {event_type} (written by: {who})")
        if signature is None:
            if key_id is not None or self.require_signatures:
                raise forged("unsigned: events must carry key_id and signature")
        else:
            if not isinstance(key_id, str):
                raise forged("a signature without a key_id")
            trusted = self.trust.get(key_id)
            if trusted is None:
                raise forged(f"key {key_id!r} is not in the trust store")
            if trusted.producer != producer:
                raise forged(f"key {key_id!r} belongs to {trusted.producer!r}, not to producer {producer!r}")
            if not isinstance(signature, str) or not _HEX_SIGNATURE.fullmatch(signature):
                raise forged("signature is not 128 lowercase hex digits")
            signed = remove_signature(raw, signature)
            if signed is None:
                raise forged("the signature is not a top-level member of the event's bytes")
            if not trusted.verifies(bytes.fromhex(signature), signed):
                raise forged(f"signature does not verify with key {key_id!r}: altered or forged")
        if topic is not None:
            carried = (routes if routes is not None else CATALOG_ROUTES).get(topic, ())
            if event_type not in carried:
                home = TOPIC_OF_EVENT.get(event_type, "no topic")
                raise MisroutedEvent(f"{event_type} travels on {home}, not on {topic}", **names)
