"""`python -m pactline_messaging.create_topics`: create every catalog topic that is missing."""

from __future__ import annotations

import asyncio
import os

from pactline_events import ALL_TOPICS

from .kafka_clients import ensure_topics


def main() -> None:
    bootstrap = os.environ.get("PACTLINE_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    created = asyncio.run(ensure_topics(bootstrap))
    print(f"topics on {bootstrap}: {len(created)} created, {len(ALL_TOPICS) - len(created)} already present")


if __name__ == "__main__":
    main()
