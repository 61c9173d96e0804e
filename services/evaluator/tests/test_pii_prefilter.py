"""no_pii skips a pattern over text that holds none of the characters its matches need; the
findings are exactly those of running every pattern."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from pactline_evaluator.checks import pii
from pactline_evaluator.checks.text_forms import pii_form

CATEGORIES = ("email", "card_number", "phone", "iban", "api_key")
PIECES = st.sampled_from(
    [
        "a@b.co",
        "x@y",
        "4111 1111 1111 1111",
        "+44 20 7946 0958",
        "(202) 555-0143",
        "GB82 WEST 1234 5698 7654 32",
        "sk_live_abcdefghijklmnop1234",
        "AKIAABCDEFGHIJKLMNOP",
        "-----BEGIN RSA PRIVATE KEY-----",
        "gh",
        "sk-",
        "order #12",
        "0",
        "12345678",  # one digit short of a phone
        "123456789012",  # one digit short of a card
        "4111-1111-1111-",
        "٣٤٥",
        "\uff11\uff12\uff13",  # full-width digits
        " ",
        "@",
        "é",
    ]
)


def every_scan(text: str) -> tuple[list[pii.Finding], bool]:
    """detect() as it was before the prefilter: every pattern over every text."""
    form = pii_form(text)
    findings: list[pii.Finding] = []
    cards = pii._cards(form)
    findings += [pii.Finding(m.start(), "email") for m in itertools.islice(pii._EMAIL.finditer(form), pii.MAX_FINDINGS)]
    findings += [pii.Finding(start, "card_number") for start, _ in cards]
    phones, complete = pii._phones(form, cards)
    findings += [pii.Finding(start, "phone") for start in phones]
    findings += [pii.Finding(start, "iban") for start in pii._ibans(form)]
    findings += [
        pii.Finding(m.start(), "api_key") for m in itertools.islice(pii._API_KEY.finditer(form), pii.MAX_FINDINGS)
    ]
    return sorted(findings), complete


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=8).map("".join))
def test_the_prefilter_never_changes_the_findings(text):
    assert pii.detect(text, CATEGORIES) == every_scan(text)


def test_each_category_is_still_found_with_the_prefilter():
    text = "mail a@b.co, card 4111 1111 1111 1111, key AKIAABCDEFGHIJKLMNOP"
    found = {f.category for f in pii.detect(text, CATEGORIES)[0]}
    assert found == {"email", "card_number", "api_key"}
