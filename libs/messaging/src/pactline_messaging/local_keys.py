"""Local event keys: a directory of ``<producer>.pem`` private keys and the trust store of them
all (``trusted-keys.json``), for a developer's or CI's own stack and the tests
(``PACTLINE_EVENT_KEYS_DIR``, read only when ``PACTLINE_ENVIRONMENT=local``). A deployment
makes its keys elsewhere and gives each service only its own (docs/security.md).

``python -m pactline_messaging.local_keys DIR [PRODUCER...]``
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pactline_events import PRODUCERS, EventSigningKey, TrustStore

from .event_keys import TRUST_FILE


def init_keys_dir(directory: Path, producers: tuple[str, ...] = PRODUCERS) -> TrustStore:
    """Give each producer a key in ``directory`` (kept if present, new ones readable by the owner
    only) and write the trust store of every ``*.pem`` there; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for producer in producers:
        path = directory / f"{producer}.pem"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(EventSigningKey.generate(producer).private_pem())
    keys = [EventSigningKey.from_text(p.read_text(), p.stem) for p in sorted(directory.glob("*.pem"))]
    trust = TrustStore(k.trusted() for k in keys)
    (directory / TRUST_FILE).write_bytes(trust.to_json())
    return trust


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m pactline_messaging.local_keys",
        description="Make missing event signing keys in DIR (one per producer) and write its trusted-keys.json.",
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("producers", nargs="*", help=f"default: {' '.join(PRODUCERS)}")
    args = parser.parse_args(argv)
    trust = init_keys_dir(args.directory, tuple(args.producers) or PRODUCERS)
    print(f"{len(trust)} trusted keys in {args.directory / TRUST_FILE}")


if __name__ == "__main__":
    main()
