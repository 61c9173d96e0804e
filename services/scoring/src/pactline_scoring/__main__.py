"""`pactline-scoring` runs the scoring service; `pactline-scoring rebuild` drops the trust-score
projection (rows, folded states, stream positions, offsets) so that the next start replays the
log from offset 0. Run the rebuild while the service is stopped; announcements already made
are kept and never repeated (docs/scoring.md, "The projection")."""

from __future__ import annotations

import asyncio
import sys

from pactline_messaging import DeadLetterPublisher, ProjectionRunner, open_pool
from pactline_service import serve

from .app import SPEC
from .projection import ScoringProjection
from .settings import ScoringSettings


async def rebuild(settings: ScoringSettings, schema: str = SPEC.schema) -> None:
    pool = await open_pool(settings.database_url.get_secret_value(), schema, SPEC.migrations, max_size=1)
    try:
        projection = ScoringProjection(settings.formula(), topics=settings.topics())
        # Never started: only the runner's rebuild, one database transaction, is used, so it
        # needs no Kafka producer for dead letters.
        runner = ProjectionRunner(projection, pool, settings.kafka_bootstrap, DeadLetterPublisher(None, SPEC.name))  # type: ignore[arg-type]
        await runner.rebuild()
    finally:
        await pool.close()


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
