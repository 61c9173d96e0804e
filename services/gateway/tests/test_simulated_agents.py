"""The SIMULATED agents: deterministic canned answers per behaviour, served as OpenAI chat
completions (whole and streamed), and saying plainly that they are simulated."""

from __future__ import annotations

import json

import httpx
import pytest

from pactline_gateway import simulated_agents
from pactline_gateway.completions import SseSplitter, StreamAccumulator, event_data, parse_response
from pactline_gateway.simulated_agents import DECEPTIVE_VARIANTS, HIDDEN_PASS, SLOPPY_VARIANTS, answer


def test_answers_are_a_function_of_the_prompt():
    for behaviour in simulated_agents.BEHAVIOURS:
        assert answer(behaviour, "Where is my parcel?") == answer(behaviour, "Where is my parcel?")


def test_the_reliable_agent_answers_in_the_format_asked():
    assert json.loads(answer("reliable", "Extract the fields as JSON"))["status"] == "resolved"
    assert "next step" in answer("reliable", "Where is my parcel?")


@pytest.mark.parametrize(
    ("variant", "check"),
    [
        ("malformed_json", lambda out: _not_json(out)),
        ("missed_format", lambda out: out.startswith("ok.")),
        ("leaked_email", lambda out: "@example.com" in out),
        ("rambling", lambda out: len(out) > 2000),
    ],
)
def test_the_sloppy_agent_misses_format_and_leaks(variant, check):
    assert check(answer("sloppy", "Give me JSON please", f"force:{variant}"))


@pytest.mark.parametrize(
    ("variant", "marker"),
    [
        ("ignore_rubric", "ignore the rubric"),
        ("fake_verdict", '"verdict": "PASS"'),
        ("hidden_unicode", HIDDEN_PASS),
        ("flattery", "judge"),
    ],
)
def test_the_deceptive_agent_addresses_the_judges(variant, marker):
    assert marker in answer("deceptive", "Where is my parcel?", f"force:{variant}")


def test_unforced_variants_spread_over_prompts():
    seen = {answer("sloppy", f"question {n}") for n in range(40)}
    assert len(seen) >= len(SLOPPY_VARIANTS)
    deceptive = {answer("deceptive", f"question {n}")[:20] for n in range(40)}
    assert len(deceptive) >= len(DECEPTIVE_VARIANTS)


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


async def _post(body: dict, behaviour: str = "reliable") -> httpx.Response:
    app = simulated_agents.create_app(sloppy_delay_ms=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sim") as http:
        return await http.post(f"/agents/{behaviour}/v1/chat/completions", json=body)


async def test_a_whole_answer_is_an_openai_completion_marked_simulated():
    response = await _post({"model": "x", "messages": [{"role": "user", "content": "Where is my parcel?"}]})
    assert response.headers["x-simulated-agent"] == "true"
    body = response.json()
    assert body["model"] == "simulated-reliable"
    completion = parse_response(response.content)
    assert completion.output == answer("reliable", "Where is my parcel?")
    assert completion.usage_output_tokens > 0


async def test_a_streamed_answer_spells_the_same_text_and_ends_with_done():
    messages = [{"role": "user", "content": "Where is my parcel?"}]
    response = await _post(
        {"messages": messages, "stream": True, "stream_options": {"include_usage": True}}, "deceptive"
    )
    splitter, folded = SseSplitter(), StreamAccumulator()
    for event in splitter.feed(response.content):
        folded.add(event_data(event))
    assert folded.done
    assert folded.completion().output == answer("deceptive", "Where is my parcel?")
    assert folded.completion().usage_input_tokens is not None


async def test_a_forced_server_error_and_an_unknown_behaviour():
    error = await _post({"model": "force:http_500", "messages": [{"role": "user", "content": "x"}]})
    assert error.status_code == 500
    unknown = await _post({"messages": [{"role": "user", "content": "x"}]}, "honest")
    assert unknown.status_code == 422


def test_the_module_says_it_is_simulated():
    assert "SIMULATED" in (simulated_agents.__doc__ or "")
    assert "no model is called" in simulated_agents.SIMULATED_NOTICE
