"""The panel file with environment overrides, and the simulated judge server's contract."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from jury_testkit import request
from pactline_jury.judge_server import AnswerKey, Behaviour, UnknownBehaviour, read_prompt
from pactline_jury.panel import Panel
from pactline_jury.prompt import build_messages
from pactline_jury.settings import LOCAL_PANEL, PanelInvalid, load_panel


def test_the_local_panel_is_simulated_and_versioned():
    panel = load_panel(LOCAL_PANEL)
    assert panel.simulated
    assert len({j.family for j in panel.judges}) >= 3
    assert panel.panel_version.startswith("local-sim-1+")
    assert panel.panel_version == load_panel(LOCAL_PANEL).panel_version


def test_the_environment_overrides_the_file_field_by_field(monkeypatch):
    base = load_panel(LOCAL_PANEL)
    monkeypatch.setenv("PACTLINE_JURY_PANEL_POLICY__QUORUM", "3")
    monkeypatch.setenv("PACTLINE_JURY_PANEL_POLICY__MIN_KAPPA", "0.75")
    panel = load_panel(LOCAL_PANEL)
    assert (panel.policy.quorum, panel.policy.min_kappa) == (3, "0.75")
    assert panel.policy.retry_wait_ms == base.policy.retry_wait_ms  # the rest still comes from the file
    assert panel.panel_version != base.panel_version


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: x\njudges: []\n", "judges"),
        ("[1, 2]", "mapping"),
        ("version: x\npolicy: {min_agreement: '1.5'}\njudges: []\n", "min_agreement"),
        (": not yaml :\n  - [", "panel"),
    ],
)
def test_a_bad_panel_file_is_refused_with_the_field(tmp_path, text, message):
    path = tmp_path / "panel.yaml"
    path.write_text(text)
    with pytest.raises(PanelInvalid, match=message):
        load_panel(path)


def test_a_panel_needs_three_families_and_unique_ids():
    judge = {"model": "openai/x", "input_price": 0, "output_price": 0}
    with pytest.raises(ValueError, match="three model families"):
        Panel(version="v", judges=[{**judge, "judge_id": f"j{n}", "family": "openai"} for n in range(3)])
    with pytest.raises(ValueError, match="unique"):
        Panel(version="v", judges=[{**judge, "judge_id": "j", "family": f} for f in ("openai", "google", "meta")])
    with pytest.raises(ValueError, match="environment variable name"):
        Panel(
            version="v",
            judges=[
                {**judge, "judge_id": f"j{f}", "family": f, "api_key_env": "sk-live-123"}
                for f in ("openai", "google", "meta")
            ],
        )


@pytest.mark.parametrize(
    ("model", "behaviour"),
    [
        ("honest", Behaviour("honest")),
        ("openai/honest.alpha", Behaviour("honest")),
        ("slow", Behaviour("slow", delay_ms=30_000)),
        ("slow.d250", Behaviour("slow", delay_ms=250)),
        ("flaky.f3", Behaviour("flaky", failures=3)),
        ("honest.n10.d5", Behaviour("honest", delay_ms=5, noise_pct=10)),
    ],
)
def test_behaviours_parse_from_the_model_name(model, behaviour):
    assert Behaviour.parse(model) == behaviour


def test_unknown_behaviours_and_bad_keys_are_refused():
    with pytest.raises(UnknownBehaviour, match="always-pass"):
        Behaviour.parse("gpt-4o")
    with pytest.raises(ValueError, match="PASS or FAIL"):
        AnswerKey.from_json({"answers": {"ab": {"verdict": "MAYBE"}}})


def test_the_server_reads_the_jury_prompt():
    req = request("The answer.\nWith two lines.", threshold="0.65")
    messages = build_messages(req, req.rubric[0], fence="f" * 24, canary="CANARY-0011")
    read = read_prompt(messages)
    assert (read.output, read.canary, str(read.threshold)) == ("The answer.\nWith two lines.", "CANARY-0011", "0.65")


async def test_the_server_speaks_openai_and_says_it_is_simulated(judge_url, answer_key):
    req = request("Simulated server contract output.")
    answer_key.answers[hashlib.sha256(req.output.encode()).hexdigest()] = answer_key.default.__class__("PASS", "0.8")
    messages = build_messages(req, req.rubric[0], fence="a" * 24, canary="CANARY-42")
    async with httpx.AsyncClient(base_url=judge_url) as http:
        ok = (await http.post("/chat/completions", json={"model": "honest.s1", "messages": messages})).json()
        assert ok["system_fingerprint"] == "pactline-simulated-judge"
        assert json.loads(ok["choices"][0]["message"]["content"])["verdict"] == "PASS"
        assert ok["usage"]["prompt_tokens"] > 0
        unknown = await http.post("/chat/completions", json={"model": "gpt-4o", "messages": messages})
        assert unknown.status_code == 404
        limited = await http.post("/chat/completions", json={"model": "rate-limited.s1", "messages": messages})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "0"
