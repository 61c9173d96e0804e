"""`python -m pactline_registry` (or `pactline-registry`): run the pact-registry service."""

from __future__ import annotations

from pactline_service import serve

from .app import SPEC


def main() -> None:
    serve(SPEC)


if __name__ == "__main__":
    main()
