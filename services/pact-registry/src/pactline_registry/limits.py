"""Size limits of the registry API (docs/pacts.md, "Using the registry API", lists the same)."""

from __future__ import annotations

KIB = 1024
MAX_REQUEST_BYTES = 1024 * KIB  # any request body, refused from its Content-Length
MAX_PACT_BYTES = 64 * KIB  # a pact document, as pactline_pacts.limits.MAX_DOCUMENT_BYTES
MAX_TASK_INPUT_BYTES = 256 * KIB  # UTF-8 bytes
MAX_TASK_OUTPUT_BYTES = 256 * KIB
MAX_TASK_REFERENCE_BYTES = 128 * KIB
MAX_TOOL_CALLS = 256
# The whole TaskCompleted payload as canonical JSON. The envelope adds well under 2 KB, so
# every event stays below Kafka's 900 KB budget even when JSON escaping inflates the text.
MAX_TASK_EVENT_BYTES = 880_000
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_MONEY = 10**15  # USDC minor units, as the pact language bounds amounts
