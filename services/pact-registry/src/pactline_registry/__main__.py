"""`python -m pactline_registry` (or `pactline-registry`): run the pact-registry service."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from pactline_service import serve

from .app import SPEC
from .settings import RegistrySettings


def main() -> None:
    try:
        settings = RegistrySettings()
    except ValidationError as refused:
        # A weak bootstrap key or the public pepper in production: say why, in one line each.
        reasons = "; ".join(error["msg"].removeprefix("Value error, ") for error in refused.errors())
        sys.exit(f"pact-registry refuses to start: {reasons}")
    serve(SPEC, settings)


if __name__ == "__main__":
    main()
