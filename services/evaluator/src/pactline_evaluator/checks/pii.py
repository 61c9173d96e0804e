"""Detectors of personal data and credentials for ``no_pii`` (version 1, docs/evaluation.md).

Candidates are found by RE2 patterns (linear time); numbers are then confirmed by their check
digits (Luhn for cards, ISO 13616 and the country format for IBANs, python-stdnum) or by
libphonenumber's validity rules (phonenumbers). A finding is reported by category and position
only: a verdict never repeats the personal data it found.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import phonenumbers
from stdnum import iban, luhn

from pactline_pacts import NoPiiClause

from ..evidence import TaskEvidence
from .patterns import compile_pattern
from .result import CheckResult, failed, inconclusive, passed
from .text_forms import pii_form

DETECTORS_VERSION = "1"

_EMAIL = compile_pattern(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Maximal runs of digits joined by single spaces or hyphens; the digit count and Luhn decide.
_CARD = compile_pattern(r"[0-9](?:[ -]?[0-9])*")
# Maximal runs that could be a phone number: an optional "+", then digits with single
# separators (space, hyphen, dot) or parentheses between them.
_PHONE = compile_pattern(r"\+?\(?[0-9](?:(?:[ .-]|\) ?| ?\()?[0-9])*")
_IBAN = compile_pattern(r"\b[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,30}")
_API_KEY = compile_pattern(
    r"\b(?:sk-[A-Za-z0-9_-]{16,}|sk_(?:live|test)_[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[A-Za-z0-9_-]{35})"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
# Numbers written without "+" are national numbers: valid in at least one of these regions.
PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "IN")
# Context libphonenumber's matcher sees around a candidate (it rejects dates, times and
# numbers glued to letters by looking at the neighbours).
_PHONE_CONTEXT = 16
_MIN_IBAN = 15  # Norway's, the shortest
# Enough to fail the clause and say where; scanning stops there, so no output makes the
# confirmation steps (the slow part) run more than this many times per category with a hit.
MAX_FINDINGS = 20
# Phone candidates confirmed per output at most (each costs up to about a millisecond). An
# output with more unconfirmed candidates than this is not screened for phones completely,
# and a clause that found nothing else says INCONCLUSIVE rather than PASS.
MAX_PHONE_CANDIDATES = 2000
CARD_DIGITS = (13, 19)
PHONE_DIGITS = (9, 15)
IBAN_DIGITS = 2  # the check digits after the country code


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    position: int
    category: str


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _preceded_by_digit(text: str, start: int) -> bool:
    return start > 0 and text[start - 1].isdigit()


def _cards(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _CARD.finditer(text):
        digits = _digits(match.group(0))
        if CARD_DIGITS[0] <= len(digits) <= CARD_DIGITS[1] and luhn.is_valid(digits):
            spans.append((match.start(), match.end()))
            if len(spans) == MAX_FINDINGS:
                break
    return spans


def _is_phone(text: str, start: int, end: int) -> bool:
    """A candidate counts when libphonenumber parses it as a valid number (any country with a
    leading "+", else one of PHONE_REGIONS) and its matcher (leniency VALID) finds it in its
    context, which rules out dates, times and numbers inside longer tokens."""
    candidate = text[start:end]
    window_start = max(0, start - _PHONE_CONTEXT)
    window = text[window_start : end + _PHONE_CONTEXT]
    regions: tuple[str, ...] = ("ZZ",) if candidate.startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, None if region == "ZZ" else region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        for match in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID):
            if window_start + match.start < end and start < window_start + match.end:
                return True
    return False


def _phones(text: str, cards: list[tuple[int, int]]) -> tuple[list[int], bool]:
    """Positions of phone numbers, and whether every candidate was examined."""
    found: list[int] = []
    examined = 0
    for match in _PHONE.finditer(text):
        start, end = match.start(), match.end()
        if _preceded_by_digit(text, start) or any(s < end and start < e for s, e in cards):
            continue
        while end > start and text[end - 1] in " .-(":
            end -= 1
        if not PHONE_DIGITS[0] <= len(_digits(text[start:end])) <= PHONE_DIGITS[1]:
            continue
        if examined == MAX_PHONE_CANDIDATES:
            return found, False
        examined += 1
        if _is_phone(text, start, end):
            found.append(start)
            if len(found) == MAX_FINDINGS:
                break
    return found, True


def _ibans(text: str) -> list[int]:
    found = []
    for match in _IBAN.finditer(text):
        compact = match.group(0).replace(" ", "").upper()
        # The run may swallow a following word; the longest valid prefix is the IBAN.
        if any(iban.is_valid(compact[:length]) for length in range(len(compact), _MIN_IBAN - 1, -1)):
            found.append(match.start())
            if len(found) == MAX_FINDINGS:
                break
    return found


_API_KEY_MARKS = ("sk-", "sk_", "AKIA", "gh", "xox", "AIza", "-----BEGIN ")
"""Every _API_KEY match contains one of these: text without any is not scanned."""


def detect(text: str, categories: tuple[str, ...]) -> tuple[list[Finding], bool]:
    """Findings of the listed categories in the PII form of ``text`` (at most MAX_FINDINGS per
    category, in text order), and whether the screening was complete.

    A pattern is not run over text that cannot hold a finding of it: emails need an "@", API
    keys one of their prefixes, and the numbers ASCII digits (every number pattern matches
    ``[0-9]`` only): 13 for a card, 9 for a phone, 2 for an IBAN. The same findings, without
    the scans that cannot find anything."""
    form = pii_form(text)
    digits = sum(map(form.count, "0123456789"))
    findings: list[Finding] = []
    cards = _cards(form) if digits >= CARD_DIGITS[0] else []
    if "email" in categories and "@" in form:
        findings += [Finding(m.start(), "email") for m in itertools.islice(_EMAIL.finditer(form), MAX_FINDINGS)]
    if "card_number" in categories:
        findings += [Finding(start, "card_number") for start, _ in cards]
    complete = True
    if "phone" in categories and digits >= PHONE_DIGITS[0]:
        phones, complete = _phones(form, cards)
        findings += [Finding(start, "phone") for start in phones]
    if "iban" in categories and digits >= IBAN_DIGITS:
        findings += [Finding(start, "iban") for start in _ibans(form)]
    if "api_key" in categories and any(mark in form for mark in _API_KEY_MARKS):
        findings += [Finding(m.start(), "api_key") for m in itertools.islice(_API_KEY.finditer(form), MAX_FINDINGS)]
    return sorted(findings), complete


def no_pii(clause: NoPiiClause, task: TaskEvidence) -> CheckResult:
    findings, complete = detect(task.output, clause.categories)
    if not findings and not complete:
        return inconclusive(
            "0 found",
            f"nothing found, but the output holds more than {MAX_PHONE_CANDIDATES} phone-like numbers to confirm",
        )
    if not findings:
        return passed("0 found", f"nothing found ({', '.join(clause.categories)}; detectors v{DETECTORS_VERSION})")
    categories = sorted({f.category for f in findings})
    return failed(
        f"{len(findings)} found",
        f"found {', '.join(categories)}: " + "; ".join(f"{f.category} at character {f.position}" for f in findings),
    )
