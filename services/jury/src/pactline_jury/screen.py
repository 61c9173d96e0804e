"""The injection screen: what in an agent's output is aimed at the judges rather than the buyer.

Pure. It never decides an outcome: its findings are evidence in JuryDeliberated, and a flagged
output needs a majority of the whole seated panel to PASS (aggregation.py). The patterns run
twice: over the text as written, and over a *revealed* view (invisible characters dropped,
Unicode tag characters decoded to the ASCII they hide, NFKC, mixed-script words mapped to their
Latin look-alikes), so hiding an instruction does not hide it from the screen.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from confusable_homoglyphs import confusables

from pactline_events.jury_events import InjectionKind

MAX_FINDINGS = 32
EVIDENCE_CONTEXT = 40
EVIDENCE_MAX = 200
INVISIBLE_GAP = 3  # visible characters allowed between two invisible ones of one cluster

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
TAG_FIRST, TAG_LAST = 0xE0000, 0xE007F

_JUDGE = (
    r"(?:judges?|evaluators?|graders?|reviewers?|jury|juror|assessors?"
    r"|llm|ai|language model|model|assistant|gpt|claude)"
)
_ADDRESSEE = r"(?:judges?|evaluators?|graders?|reviewers?|jury|jurors?|assessors?)"
_INSTRUCTION_PATTERNS = [
    r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,50}?"
    r"\b(?:instructions?|rubric|criteri(?:on|a)|rules?|prompt|guidelines?|above|previous|prior|system)\b",
    rf"\b(?:note|message|instructions?|attention|reminder)\s+(?:to|for)\s+(?:the\s+|all\s+|any\s+)?{_JUDGE}\b",
    rf"(?:^|[\n.!]\s*)(?:dear\s+|hey\s+|hello\s+)?(?:the\s+)?{_ADDRESSEE}\s*[:,]",
    rf"\byou\s+are\s+(?:now\s+)?(?:an?|the)\b[^.\n]{{0,40}}\b{_JUDGE}\b",
    r"\b(?:answer|respond|reply|output|say|print|mark|grade|rate|score|label|classify|judge|evaluate|return|give)\b"
    r"[^.\n]{0,40}?\b(?:as\s+)?[\"'`]?"
    r"(?:pass(?:ed)?|approved|compliant|full marks|perfect(?:\s+score)?|10\s*/\s*10)\b[\"'`]?",
    r"\b(?:this|the|my)\s+(?:output|response|answer|submission)\s+(?:must|should|shall|will)\s+(?:be\s+)?"
    r"(?:pass(?:ed)?|marked\s+(?:as\s+)?pass(?:ed)?|graded\s+(?:as\s+)?pass(?:ed)?|approved|accepted)\b",
    r"\b(?:this|the)\s+(?:output|response|answer|submission)\s+(?:has\s+been|is|was)\s+(?:already\s+)?"
    r"(?:pre-?)?(?:approved|verified|validated|certified)\b",
    r"\bnew\s+(?:instructions?|rules?|task)\b\s*[:.]",
    r"\b(?:system|developer|admin(?:istrator)?|platform)\s+(?:prompt|message|override|instructions?|notice)\b",
]
_FAKE_VERDICT_PATTERNS = [
    # The whole object when it closes, so a judge that copies it is caught copying.
    r"[{][^{}]{0,200}?[\"']?(?:verdict|outcome|score|grade|result|decision|pass(?:ed)?)[\"']?\s*:[^{}]{0,200}[}]?",
    r"\b(?:final\s+)?(?:verdict|outcome|grade|decision)\s*[:=]\s*[\"'`]?(?:pass|fail|approved)\b",
]
_FAKE_DELIMITER_PATTERNS = [
    r"<<<|>>>",
    r"\b(?:agent_output|task_input|untrusted[_ ]data)\b",
    r"</?\s*(?:agent[_ -]?output|output|untrusted|data|input|document|response|answer)\s*>",
    r"(?:^|\n)\s*[-=#*]{3,}\s*(?:end|begin|start|close)\s+(?:of\s+)?(?:the\s+)?(?:agent|model|assistant)?\s*(?:output|response|input|data|text|answer)\b",
    r"\b(?:end|close)\s+of\s+(?:the\s+)?(?:agent(?:'s)?\s+)?(?:output|response|untrusted data)\b",
]
_ROLE_TURN_PATTERNS = [
    r"(?:^|\n)\s*(?:system|assistant|user|developer|human)\s*:",
    r"<\|\s*(?:im_start|im_end|system|user|assistant|eot_id|start_header_id|end_header_id|endoftext)\s*\|>",
    r"\[/?INST\]|<<\s*/?SYS\s*>>",
    r"(?:^|\n)\s*#{2,}\s*(?:system|instruction|response|assistant)\b",
]


def _compile(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE | re.MULTILINE) for p in patterns)


PATTERNS: tuple[tuple[InjectionKind, tuple[re.Pattern[str], ...]], ...] = (
    (InjectionKind.INSTRUCTION, _compile(_INSTRUCTION_PATTERNS)),
    (InjectionKind.FAKE_VERDICT, _compile(_FAKE_VERDICT_PATTERNS)),
    (InjectionKind.FAKE_DELIMITER, _compile(_FAKE_DELIMITER_PATTERNS)),
    (InjectionKind.ROLE_TURN, _compile(_ROLE_TURN_PATTERNS)),
)
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}={0,2}")
_HEX_RUN = re.compile(r"\b(?:[0-9a-fA-F]{2}){16,}\b")
_PERCENT_RUN = re.compile(r"(?:%[0-9a-fA-F]{2}){8,}")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Finding:
    kind: InjectionKind
    offset: int
    evidence: str
    matched: str  # the exact text from the output: a judge reply containing it echoes planted text


def escape_invisible(text: str) -> str:
    """Show what a reader cannot see: invisible and control characters as \\u{XXXX}."""
    out = []
    for ch in text:
        cp = ord(ch)
        if (
            ch in ZERO_WIDTH
            or ch in BIDI_CONTROLS
            or TAG_FIRST <= cp <= TAG_LAST
            or (unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t")
        ):
            out.append(f"\\u{{{cp:X}}}")
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


def _evidence(text: str, start: int, end: int, note: str = "") -> str:
    excerpt = escape_invisible(text[max(0, start - EVIDENCE_CONTEXT) : end + EVIDENCE_CONTEXT])
    if len(excerpt) > EVIDENCE_MAX:
        excerpt = excerpt[: EVIDENCE_MAX - 1] + "…"
    return f"{escape_invisible(note)}: {excerpt}" if note else excerpt


def _latin_lookalike(ch: str) -> str | None:
    found = confusables.is_confusable(ch, preferred_aliases=["latin"])
    if not found:
        return None
    letters = [h["c"] for h in found[0]["homoglyphs"] if len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalpha()]
    same_case = [c for c in letters if c.isupper() == ch.isupper()]
    best = (same_case or letters or [None])[0]
    # Unicode's skeletons fold capital I into "l"; a capital look-alike of "l" is read as "I".
    return "I" if best == "l" and ch.isupper() else best


def reveal(text: str) -> tuple[str, list[int]]:
    """The text as an attacker means a model to read it, plus each character's source offset."""
    mixed_words: set[int] = set()
    for word in _WORD.finditer(text):
        if not word.group().isascii() and confusables.is_mixed_script(word.group()):
            mixed_words.update(range(word.start(), word.end()))
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if TAG_FIRST + 0x20 <= cp <= TAG_FIRST + 0x7E:
            produced = chr(cp - TAG_FIRST)
        elif ch in ZERO_WIDTH or ch in BIDI_CONTROLS or TAG_FIRST <= cp <= TAG_LAST:
            continue
        else:
            produced = unicodedata.normalize("NFKC", ch)
            if i in mixed_words and not ch.isascii():
                produced = _latin_lookalike(ch) or produced
        for out in produced:
            chars.append(out)
            origin.append(i)
    return "".join(chars), origin


def _invisible_runs(text: str) -> Iterator[Finding]:
    def kind_of(ch: str) -> InjectionKind | None:
        cp = ord(ch)
        if TAG_FIRST <= cp <= TAG_LAST:
            return InjectionKind.UNICODE_TAG
        if ch in ZERO_WIDTH:
            return InjectionKind.ZERO_WIDTH
        if ch in BIDI_CONTROLS:
            return InjectionKind.BIDI_CONTROL
        return None

    # One finding per cluster: invisible characters of one kind sprinkled through a word
    # (i\u200bg\u200bn...) are one attempt, not one per character.
    positions = [(i, kind) for i, ch in enumerate(text) if (kind := kind_of(ch)) is not None]
    k = 0
    while k < len(positions):
        start, kind = positions[k]
        end, count = start + 1, 1
        while k + 1 < len(positions) and positions[k + 1][1] is kind and positions[k + 1][0] - end <= INVISIBLE_GAP:
            k += 1
            end, count = positions[k][0] + 1, count + 1
        k += 1
        note = f"{count} invisible character(s)"
        if kind is InjectionKind.UNICODE_TAG:
            hidden = "".join(
                chr(ord(c) - TAG_FIRST) for c in text[start:end] if TAG_FIRST + 0x20 <= ord(c) <= TAG_FIRST + 0x7E
            )
            note = f"hidden tag text {hidden[:120]!r}"
        yield Finding(kind, start, _evidence(text, start, end, note), text[start:end])


def _pattern_hits(text: str) -> Iterator[tuple[InjectionKind, int, int]]:
    for kind, patterns in PATTERNS:
        for pattern in patterns:
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    yield kind, m.start(), m.end()


def _homoglyph_words(text: str) -> Iterator[Finding]:
    for word in _WORD.finditer(text):
        w = word.group()
        if w.isascii() or not confusables.is_mixed_script(w):
            continue
        if not any(_latin_lookalike(ch) for ch in w if not ch.isascii()):
            continue
        skeleton = "".join(ch if ch.isascii() else (_latin_lookalike(ch) or ch) for ch in w)
        note = f"mixed-script word reads as {skeleton!r}"
        yield Finding(InjectionKind.HOMOGLYPH, word.start(), _evidence(text, word.start(), word.end(), note), w)


def _decoded_payloads(text: str) -> Iterator[tuple[int, int, str, str]]:
    for m in _BASE64_RUN.finditer(text):
        token = m.group()
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(token + "=" * (-len(token) % 4))
                yield m.start(), m.end(), "base64", raw.decode("utf-8")
                break
            except (binascii.Error, ValueError, UnicodeDecodeError):
                continue
    for m in _HEX_RUN.finditer(text):
        try:
            yield m.start(), m.end(), "hex", bytes.fromhex(m.group()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
    for m in _PERCENT_RUN.finditer(text):
        try:
            yield m.start(), m.end(), "percent-encoding", unquote(m.group(), errors="strict")
        except UnicodeDecodeError:
            continue


def _printable(decoded: str) -> bool:
    return bool(decoded) and sum(ch.isprintable() or ch in "\n\t" for ch in decoded) >= 0.9 * len(decoded)


def screen(text: str) -> tuple[Finding, ...]:
    """Every finding in ``text``, ordered by offset, at most MAX_FINDINGS."""
    findings: dict[tuple[InjectionKind, int], Finding] = {}

    def add(f: Finding) -> None:
        findings.setdefault((f.kind, f.offset), f)

    for f in _invisible_runs(text):
        add(f)
    for f in _homoglyph_words(text):
        add(f)
    for kind, start, end in _pattern_hits(text):
        add(Finding(kind, start, _evidence(text, start, end), text[start:end]))
    revealed, origin = reveal(text)
    if revealed != text:
        for kind, start, end in _pattern_hits(revealed):
            src_start, src_end = origin[start], origin[end - 1] + 1
            if (kind, src_start) not in findings:
                note = f"revealed {revealed[start:end][:120]!r}"
                add(Finding(kind, src_start, _evidence(text, src_start, src_end, note), text[src_start:src_end]))
    for start, end, encoding, decoded in _decoded_payloads(text):
        if not _printable(decoded):
            continue
        inner = [kind for kind, _, _ in _pattern_hits(reveal(decoded)[0])]
        if inner:
            kinds = ", ".join(sorted({k.value for k in inner}))
            note = f"{encoding} decodes to {decoded[:120]!r} ({kinds})"
            add(Finding(InjectionKind.ENCODED_PAYLOAD, start, _evidence(text, start, end, note), text[start:end]))
    ordered = sorted(findings.values(), key=lambda f: (f.offset, f.kind.value))
    return tuple(ordered[:MAX_FINDINGS])
