"""Helpers for the jury's tests: panels of simulated judges, requests, answer-key entries."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from typing import Any

from pactline_events import JuryRequested
from pactline_jury.judge_server import Answer, AnswerKey
from pactline_jury.panel import JudgeConfig, Panel, PanelPolicy

FAMILIES = ("anthropic", "google", "meta", "mistral", "other", "openai")
_ids = itertools.count(1)


def judge(url: str, model: str, family: str, *, timeout_ms: int = 4000, **extra: Any) -> JudgeConfig:
    fields = {"input_price": 100_000, "output_price": 400_000, "json_mode": "on", "simulated": True, **extra}
    return JudgeConfig(
        judge_id=f"j-{model.replace('.', '-')}",
        model=f"openai/{model}",
        family=family,
        api_base=url,
        timeout_ms=timeout_ms,
        **fields,
    )


def panel(url: str, *models: str | JudgeConfig, **policy: Any) -> Panel:
    """Judges in the given order, each from the next family unless given as a JudgeConfig."""
    judges = [m if isinstance(m, JudgeConfig) else judge(url, m, f) for m, f in zip(models, FAMILIES, strict=False)]
    defaults = {"quorum": 2, "retry_wait_ms": 10, "retry_max_wait_ms": 50}
    return Panel(version="test", judges=tuple(judges), policy=PanelPolicy(**{**defaults, **policy}))


def answer(key: AnswerKey, output: str, verdict: str, score: str | None = None) -> str:
    digest = hashlib.sha256(output.encode()).hexdigest()
    key.answers[digest] = Answer(verdict, score or ("0.9" if verdict == "PASS" else "0.1"))
    return digest


def request(output: str, *, family: str = "openai", clauses: int = 1, threshold: str = "0.7") -> JuryRequested:
    n = f"{next(_ids)}-{uuid.uuid4().hex[:10]}"  # unique across runs: the topics keep every event
    return JuryRequested(
        request_id=f"req-{n}",
        task_id=f"task-{n}",
        acceptance_id="acc-1",
        agent_model_family=family,
        rubric=tuple(
            {
                "clause_id": f"clause-{i}",
                "criterion": "The reply resolves the customer's question politely.",
                "pass_threshold": threshold,
            }
            for i in range(clauses)
        ),
        input="Where is my order #1234?",
        output=output,
        evidence_digest="0" * 64,
    )


def requested_envelope(payload: JuryRequested, *, producer: str = "evaluator"):
    """A JuryRequested as the evaluator would have sealed and signed it (first event of its stream)."""
    from pactline_events import GENESIS_HASH, PendingEvent, new_event_id, utc_now
    from signed_events import signed

    pending = PendingEvent(
        event_id=new_event_id(),
        occurred_at=utc_now(),
        stream_id=f"evaluation-{payload.task_id}",
        correlation_id=uuid.uuid4(),
        payload=payload,
    )
    return signed(pending.seal(producer=producer, stream_seq=1, prev_hash=GENESIS_HASH))


def panel_yaml(url: str, *models_and_families: tuple[str, str], **policy: Any) -> str:
    """A panel file's text for simulated judges at ``url``."""
    import json

    judges = [
        {
            "judge_id": f"j-{m.replace('.', '-')}",
            "model": f"openai/{m}",
            "family": f,
            "api_base": url,
            "timeout_ms": 3000,
            "input_price": 100_000,
            "output_price": 400_000,
            "json_mode": "on",
            "simulated": True,
        }
        for m, f in models_and_families
    ]
    return json.dumps({"version": "test-panel", "policy": {"quorum": 2, **policy}, "judges": judges})
