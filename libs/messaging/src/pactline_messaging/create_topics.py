"""`python -m pactline_messaging.create_topics`: create every catalog topic that is missing."""

from __future__ import annotations

import asyncio

from pactline_events import ALL_TOPICS

from .endpoints import kafka_bootstrap
from .kafka_clients import ensure_topics


def main() -> None:
    bootstrap = kafka_bootstrap()
    created = asyncio.run(ensure_topics(bootstrap))
    print(f"topics on {bootstrap}: {len(created)} created, {len(ALL_TOPICS) - len(created)} already present")


if __name__ == "__main__":
    main()
