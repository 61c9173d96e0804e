"""API keys across services: the registry issues them; any other service that serves callers
(the gateway, the evaluator's read API) authenticates them from the registry's ApiKeyIssued and
ApiKeyRevoked events, folded into a table of its own, without ever asking the registry.

- ``api_keys``: the key format (``pl_live_<key id>_<secret>``), its HMAC, and the pure check of
  a presented key against what the registry announced.
- ``known_keys``: the fold of the key events (handlers and queries) and the table it needs.
- ``KeyPepperSettings``: the pepper both sides read (PACTLINE_REGISTRY_KEY_PEPPER).
"""

from pactline_identities.api_keys import (
    KEY_PREFIX,
    KeyRefused,
    KnownKey,
    NewKey,
    authenticate,
    generate,
    key_hmac,
    key_id_of,
)
from pactline_identities.pepper import LOCAL_PEPPER, KeyPepperSettings

__all__ = [
    "KEY_PREFIX",
    "LOCAL_PEPPER",
    "KeyPepperSettings",
    "KeyRefused",
    "KnownKey",
    "NewKey",
    "authenticate",
    "generate",
    "key_hmac",
    "key_id_of",
]
