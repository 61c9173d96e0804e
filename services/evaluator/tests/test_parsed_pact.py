"""The acceptance is parsed once per stored text, and a cached parse is always its own text's."""

from __future__ import annotations

from evaluator_testkit import accepted, deterministic
from pactline_evaluator.evaluating import parsed_pact
from pactline_events import PactAccepted

CLAUSES = [deterministic("cites", "regex_required", 100, pattern="#[0-9]+")]


def test_the_same_text_is_parsed_once_and_gives_what_a_fresh_parse_gives():
    text = accepted(CLAUSES, acceptance_id="acc-cache-1").model_dump_json()
    first = parsed_pact(text)
    assert parsed_pact(str(text)) is first  # another string object with the same text
    assert first == PactAccepted.model_validate_json(text)


def test_another_acceptance_or_another_version_of_its_row_gets_its_own_parse():
    one = accepted(CLAUSES, acceptance_id="acc-cache-2")
    other = accepted(CLAUSES, acceptance_id="acc-cache-3")
    assert parsed_pact(one.model_dump_json()).acceptance_id == "acc-cache-2"
    assert parsed_pact(other.model_dump_json()).acceptance_id == "acc-cache-3"
    stricter = accepted(CLAUSES, threshold="0.9", acceptance_id="acc-cache-2")
    assert parsed_pact(stricter.model_dump_json()).document.pass_rule.threshold == stricter.document.pass_rule.threshold
    assert parsed_pact(one.model_dump_json()).document.pass_rule.threshold != stricter.document.pass_rule.threshold
