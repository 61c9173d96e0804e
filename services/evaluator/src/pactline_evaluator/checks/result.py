"""What every check returns: the outcome, the measured value and a short detail."""

from __future__ import annotations

from dataclasses import dataclass

from pactline_events import Outcome

MAX_MEASURED = 200
MAX_DETAIL = 2000


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """``measured`` is a number, count or position as text (never a copy of the output)."""

    outcome: Outcome
    measured: str | None
    detail: str

    def __post_init__(self) -> None:
        if self.measured is not None:
            object.__setattr__(self, "measured", clip(self.measured, MAX_MEASURED))
        object.__setattr__(self, "detail", clip(self.detail, MAX_DETAIL))


def passed(measured: str | None, detail: str) -> CheckResult:
    return CheckResult(Outcome.PASS, measured, detail)


def failed(measured: str | None, detail: str) -> CheckResult:
    return CheckResult(Outcome.FAIL, measured, detail)


def inconclusive(measured: str | None, detail: str) -> CheckResult:
    return CheckResult(Outcome.INCONCLUSIVE, measured, detail)


def quoted(text: str, limit: int = 80) -> str:
    """Untrusted or long text shown in a detail: quoted, escaped, cut short."""
    return clip(repr(text), limit)
