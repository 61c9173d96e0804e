"""Size and range limits of a pact document; docs/pacts.md lists the same numbers."""

from __future__ import annotations

# Whole document
MAX_DOCUMENT_BYTES = 65_536  # of raw input given to parse_pact (JSON or YAML text)
MAX_NESTING_DEPTH = 32  # objects/arrays inside one another, the document itself is depth 0
MAX_STRING_LENGTH = 4_096  # any string or object key anywhere, json_schema contents included
MAX_CLAUSES = 50

# Identifiers and text
MAX_NAME_LENGTH = 64  # pact name and clause ids (slugs)
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2_000
MAX_CRITERION_LENGTH = 2_000
MAX_REGEX_LENGTH = 512
MAX_PHRASE_LENGTH = 512
MAX_PHRASES = 64
MAX_TOOL_NAME_LENGTH = 128
MAX_TOOLS = 64
MAX_JSON_POINTER_LENGTH = 512
MAX_DECIMAL_STRING_LENGTH = 40
MAX_RATIO_DECIMAL_PLACES = 4
MAX_TOLERANCE_DECIMAL_PLACES = 6
MAX_TOLERANCE = 10**12  # numeric_tolerance.tolerance, so no decimal has over 19 digits

# Numbers
WEIGHT_TOTAL = 100  # clause weights are positive integers summing to exactly this
MAX_VERSION = 1_000_000
MAX_LATENCY_LIMIT_MS = 3_600_000
MAX_TOKEN_LIMIT = 10_000_000
MAX_LENGTH_BOUND = 10_000_000
MAX_USDC_MINOR_UNITS = 10**15  # one billion USDC; USDC has 6 decimals
MIN_DISPUTE_WINDOW_SECONDS = 3_600  # one hour
MAX_DISPUTE_WINDOW_SECONDS = 2_592_000  # thirty days
MIN_EXPIRY_SECONDS = 3_600
MAX_EXPIRY_SECONDS = 31_536_000  # 365 days

# Reporting
MAX_ERRORS_PER_SCHEMA = 10  # meta-schema errors reported for one json_schema clause
