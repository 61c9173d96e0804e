"""The gas limit a transaction is signed with: the node's estimate, a margin, and headroom for
token balances that another transaction empties between the estimate and the block.

An estimate is exact for the state it ran on, and that state can change before the transaction
is mined. Writing a non-zero value into a storage slot costs 2,900 gas when the slot already held
a non-zero value and 20,000 when it held zero (EIP-2200, with EIP-2929's cold access charged either
way). So a token balance that this transaction raises costs 17,100 more if another transaction
in the same block empties it first: the escrow's own balance when another job is paid out just
before a funding, or a recipient who spent all their tokens. A margin in percent does not cover
that for small calls (a funding is estimated at about 59,000 gas). Each escrow call raises at
most two such balances (a batch settlement pays the provider and refunds the buyer), hence the
headroom. A limit above what is used costs nothing: only gas used is paid for.
"""

from __future__ import annotations

REFILLED_SLOT_GAS = 20_000 - 2_900
HEADROOM_GAS = 2 * REFILLED_SLOT_GAS
DEFAULT_MARGIN_PCT = 20


def gas_limit(estimate: int, margin_pct: int = DEFAULT_MARGIN_PCT) -> int:
    """The estimate plus `margin_pct` percent of it (rounded down) plus `HEADROOM_GAS`."""
    if estimate < 0 or margin_pct < 0:
        raise ValueError(f"gas estimate and margin must not be negative (got {estimate}, {margin_pct}%)")
    return estimate + estimate * margin_pct // 100 + HEADROOM_GAS
