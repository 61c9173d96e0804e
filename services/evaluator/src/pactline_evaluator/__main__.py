"""`python -m pactline_evaluator` (or `pactline-evaluator`): run the evaluator service."""

from __future__ import annotations

from pactline_service import serve

from .app import SPEC


def main() -> None:
    serve(SPEC)


if __name__ == "__main__":
    main()
