"""`make demo`: Pactline's main job, end to end, on the local stack (see scripts/demo/).

    uv run python scripts/demo.py [--scale 0.2] [--report-dir DIR]

Run it after `make services contracts` (`make demo` does both first).
"""

from __future__ import annotations

import sys

# This file's folder is on sys.path when it runs, so `demo` is the package beside it.
from demo.main import main

if __name__ == "__main__":
    sys.exit(main())
