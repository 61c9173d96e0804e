"""The real settlement service as a process of its own, for the crash test.

Usage: python settlement_process.py SCHEMA NAME
The schema and the name (its consumer group) are the test's own; everything else comes from the
PACTLINE_* environment, exactly as in production (pactline_settlement.__main__).
"""

from __future__ import annotations

import dataclasses
import sys

from pactline_service import serve
from pactline_settlement.app import SPEC

if __name__ == "__main__":
    serve(dataclasses.replace(SPEC, schema=sys.argv[1], name=sys.argv[2]))
