"""`pactline-scoring` runs the scoring service; `pactline-scoring rebuild` drops the trust-score
projection (rows, folded states, stream positions, offsets) so that the next start replays the
log from offset 0. Run the rebuild while the service is stopped; announcements already made
are kept and never repeated (docs/scoring.md, "The projection")."""

from __future__ import annotations

import asyncio
import sys

from pactline_service import serve

from .app import SPEC
from .rebuilding import drop as rebuild
from .settings import ScoringSettings

__all__ = ["main", "rebuild"]


def main() -> None:
    if sys.argv[1:] == ["rebuild"]:
        asyncio.run(rebuild(ScoringSettings()))
        print("trust-scores projection dropped; the next start of the scoring service replays from offset 0")
        return
    if sys.argv[1:]:
        sys.exit("usage: pactline-scoring [rebuild]")
    serve(SPEC)


if __name__ == "__main__":
    main()
