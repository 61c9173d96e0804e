"""`python -m pactline_gateway` (or `pactline-gateway`): run the gateway service."""

from __future__ import annotations

from pactline_service import serve

from .app import SPEC


def main() -> None:
    serve(SPEC)


if __name__ == "__main__":
    main()
