"""`python -m pactline_messaging.create_topics`: create every catalog topic that is missing."""

from __future__ import annotations

import asyncio
import os

from pactline_events import ALL_TOPICS

from .kafka_clients import ensure_topics


def main() -> None:
    local = f"127.0.0.1:{os.environ.get('PACTLINE_KAFKA_PORT', '19092')}"
    bootstrap = os.environ.get("PACTLINE_KAFKA_BOOTSTRAP", local)
    created = asyncio.run(ensure_topics(bootstrap))
    print(f"topics on {bootstrap}: {len(created)} created, {len(ALL_TOPICS) - len(created)} already present")


if __name__ == "__main__":
    main()
