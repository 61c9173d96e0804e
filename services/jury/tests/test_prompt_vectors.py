"""Fixed vectors for what an auditor recomputes from the log (docs/jury.md, "Recomputing the
hashes"): the prompt hash, the reply digest and the cost of a judgment."""

from __future__ import annotations

import hashlib
import json

from pactline_events import JuryRequested
from pactline_jury.domain import cost_of, reply_digest
from pactline_jury.panel import JudgeConfig
from pactline_jury.prompt import PROMPT_VERSION, build_messages, prompt_hash

REQUEST = JuryRequested(
    request_id="r-1",
    task_id="t-1",
    acceptance_id="a-1",
    agent_model_family="openai",
    rubric=({"clause_id": "helpful", "criterion": "The reply resolves the question.", "pass_threshold": "0.7"},),
    input="Where is my order?",
    output="It ships today. Ünïcödé ✓",
    reference="Ships today.",
    evidence_digest="0" * 64,
)
FENCE, CANARY = "0123456789abcdef01234567", "CANARY-00112233aabbccdd"


def test_prompt_hash_vector():
    messages = build_messages(REQUEST, REQUEST.rubric[0], fence=FENCE, canary=CANARY)
    assert PROMPT_VERSION == "jury-prompt-1"  # a new template is a new version and new vectors
    assert prompt_hash(messages) == "ec8a7618e484ae2c94544bf6387c9c4c1bdbb29ee7913baf4619cb1e06a6a61d"
    # The same bytes from a plain JSON library: for these strings RFC 8785 is sorted keys,
    # no whitespace, UTF-8, no ASCII escaping.
    plain = json.dumps(messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(plain).hexdigest() == prompt_hash(messages)


def test_the_user_message_is_exactly_the_fenced_data():
    _, user = build_messages(REQUEST, REQUEST.rubric[0], fence=FENCE, canary=CANARY)
    assert user["content"] == (
        f"<<<TASK_INPUT {FENCE}\nWhere is my order?\nTASK_INPUT {FENCE}>>>\n\n"
        f"<<<AGENT_OUTPUT {FENCE}\nIt ships today. Ünïcödé ✓\nAGENT_OUTPUT {FENCE}>>>\n\n"
        f"<<<REFERENCE {FENCE}\nShips today.\nREFERENCE {FENCE}>>>\n\n"
        "Grade AGENT_OUTPUT against the criterion in the system message. Reply with the JSON object only."
    )


def test_reply_digest_vector():
    assert reply_digest('{"verdict": "PASS", "score": "0.9"}') == (
        "8cdcff31930536c2bffa1eb6582e3091e754ce663d63e417b8980d4d61dc08d9"
    )
    assert reply_digest(None) is None


def test_cost_vectors_round_up_to_whole_micro_usd():
    judge = JudgeConfig(judge_id="j", model="openai/x", family="google", input_price=150_000, output_price=600_000)
    assert cost_of(judge, 1234, 56) == 219  # (1234 * 150000 + 56 * 600000) / 1e6 = 218.7
    assert cost_of(judge, 1, 0) == 1
    assert cost_of(judge, 0, 0) == 0
