"""Reading a judge's reply: strict JSON or nothing, and no echoes of the canary or the output.

Pure. A reply that does not parse is a failed judgment (no vote), never a pass. A reply that
repeats the canary or copies text planted in the agent's output is discarded even when it
parses: the judge followed the data instead of its instructions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pactline_events.jury_events import JudgmentFlag
from pactline_events.types import Outcome

MAX_REPLY_CHARS = 4000
MAX_REASON_CHARS = 1000
ECHO_RUN = 48  # this many consecutive characters of the output in a reply count as a copy
MIN_PLANTED = 12  # shorter screen matches ("system:") are too common to call a copy
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
_KEYS = frozenset({"verdict", "score", "reason"})


@dataclass(frozen=True)
class Vote:
    verdict: Outcome
    score: Decimal
    reason: str


@dataclass(frozen=True)
class ReadReply:
    vote: Vote | None
    flags: tuple[JudgmentFlag, ...]


class _Unparseable(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Unparseable("duplicate keys")
    return dict(pairs)


def _reject_constant(name: str) -> Any:
    raise _Unparseable(name)


def parse_vote(content: str, threshold: Decimal) -> Vote:
    """The vote in ``content``; raises ValueError for anything but the one allowed shape."""
    text = content.strip()
    if len(text) > MAX_REPLY_CHARS or not (text.startswith("{") and text.endswith("}")):
        raise _Unparseable("not a single JSON object")
    try:
        data = json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _Unparseable(str(exc)) from None
    if not isinstance(data, dict) or not {"verdict", "score"} <= data.keys() <= _KEYS:
        raise _Unparseable("keys must be verdict, score and optionally reason")
    verdict = data["verdict"]
    if verdict not in ("PASS", "FAIL"):
        raise _Unparseable("verdict must be PASS or FAIL")
    raw_score = data["score"]
    if isinstance(raw_score, bool) or not isinstance(raw_score, str | int | Decimal):
        raise _Unparseable("score must be a decimal")
    if isinstance(raw_score, str) and not _DECIMAL.match(raw_score):
        raise _Unparseable("score must be a decimal")
    try:
        score = Decimal(raw_score)
    except InvalidOperation:
        raise _Unparseable("score must be a decimal") from None
    if not Decimal(0) <= score <= Decimal(1):
        raise _Unparseable("score must be between 0 and 1")
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        raise _Unparseable("reason must be a short string")
    return Vote(Outcome(verdict), score, reason)


def copies_output(content: str, output: str, planted: Iterable[str]) -> bool:
    if any(len(p.strip()) >= MIN_PLANTED and p.strip() in content for p in planted):
        return True
    if len(content) < ECHO_RUN or len(output) < ECHO_RUN:
        return False
    windows = {content[i : i + ECHO_RUN] for i in range(len(content) - ECHO_RUN + 1)}
    return any(output[i : i + ECHO_RUN] in windows for i in range(len(output) - ECHO_RUN + 1))


def read_reply(
    content: str | None, *, threshold: Decimal, canary: str, output: str, planted: Iterable[str] = ()
) -> ReadReply:
    if content is None:
        return ReadReply(None, (JudgmentFlag.UNPARSEABLE,))
    flags: list[JudgmentFlag] = []
    if canary in content:
        flags.append(JudgmentFlag.CANARY_ECHO)
    if copies_output(content, output, planted):
        flags.append(JudgmentFlag.PLANTED_ECHO)
    try:
        vote: Vote | None = parse_vote(content, threshold)
    except _Unparseable:
        flags.append(JudgmentFlag.UNPARSEABLE)
        vote = None
    if vote is not None and (vote.verdict is Outcome.PASS) != (vote.score >= threshold):
        flags.append(JudgmentFlag.SCORE_MISMATCH)
    return ReadReply(vote if not flags else None, tuple(flags))
