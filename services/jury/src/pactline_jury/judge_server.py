"""The simulated judge server: an OpenAI-compatible chat endpoint whose "models" are behaviours.

    python -m pactline_jury.judge_server [--host H] [--port P] [--answer-key FILE] [--default-verdict FAIL]

It lets the demo and the tests run the jury's real litellm path over real HTTP with no model
and no network. A judge's model name picks its behaviour, ``<behaviour>[.<option>...]``:

  honest        answers from the answer key (SHA-256 hex of the agent output -> verdict, score)
  always-pass   a compromised judge: PASS, score 1, whatever it reads
  gullible      honest, unless the output carries text aimed at judges: then PASS
  slow          honest after a delay (30 s unless ``d<ms>`` says otherwise)
  rate-limited  HTTP 429, always          server-error   HTTP 500, always
  flaky         HTTP 429 for the first ``f<n>`` attempts at a prompt (default 1), then honest
  malformed     a reply that is not JSON
  echo-canary   a PASS that repeats the request's canary
  echo-planted  a PASS that copies the text planted in the output
Options: ``d<ms>`` delay before answering, ``f<n>`` failures before success (flaky), ``n<pct>``
flip that percentage of honest verdicts (a noisy judge), anything else is a label (honest.alpha).

Every reply carries system_fingerprint "pactline-simulated-judge", and the server says at start
that its judges are simulated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .screen import screen

log = logging.getLogger("pactline.judge_server")

FINGERPRINT = "pactline-simulated-judge"
DEFAULT_PORT = 8110
SLOW_DEFAULT_MS = 30_000
BEHAVIOURS = frozenset(
    {
        "honest",
        "always-pass",
        "gullible",
        "slow",
        "rate-limited",
        "server-error",
        "flaky",
        "malformed",
        "echo-canary",
        "echo-planted",
    }
)
_FENCED_OUTPUT = re.compile(r"<<<AGENT_OUTPUT (\S+)\n(.*)\nAGENT_OUTPUT \1>>>", re.DOTALL)
_CANARY = re.compile(r"Never repeat the token (\S+?)\.")
_THRESHOLD = re.compile(r"passes when the score is ([0-9.]+) or more")
_PLANTED_JSON = re.compile(r"\{[^{}]*\}")


class UnknownBehaviour(ValueError):
    def __init__(self, model: str) -> None:
        super().__init__(f"unknown simulated judge {model!r}; behaviours: {', '.join(sorted(BEHAVIOURS))}")


@dataclass(frozen=True)
class Behaviour:
    name: str
    delay_ms: int = 0
    failures: int = 1
    noise_pct: int = 0

    @classmethod
    def parse(cls, model: str) -> Behaviour:
        name, *options = model.rsplit("/", 1)[-1].split(".")
        if name not in BEHAVIOURS:
            raise UnknownBehaviour(model)
        delay = SLOW_DEFAULT_MS if name == "slow" else 0
        failures, noise = 1, 0
        for option in options:
            if re.fullmatch(r"d\d+", option):
                delay = int(option[1:])
            elif re.fullmatch(r"f\d+", option):
                failures = int(option[1:])
            elif re.fullmatch(r"n\d+", option):
                noise = min(100, int(option[1:]))
        return cls(name, delay, failures, noise)


@dataclass(frozen=True)
class Answer:
    verdict: str
    score: str


@dataclass
class AnswerKey:
    """``{"default": {"verdict": "FAIL", "score": "0"}, "answers": {"<sha256 hex>": {...}}}``."""

    answers: dict[str, Answer] = field(default_factory=dict)
    default: Answer = field(default_factory=lambda: Answer("FAIL", "0"))

    @classmethod
    def from_json(cls, data: dict[str, Any], default_verdict: str | None = None) -> AnswerKey:
        def answer(item: dict[str, Any]) -> Answer:
            verdict = str(item["verdict"])
            if verdict not in ("PASS", "FAIL"):
                raise ValueError(f"verdict must be PASS or FAIL, got {verdict!r}")
            score = str(item.get("score", "1" if verdict == "PASS" else "0"))
            Decimal(score)
            return Answer(verdict, score)

        default = answer(data.get("default", {"verdict": default_verdict or "FAIL"}))
        if default_verdict:
            default = Answer(default_verdict, "1" if default_verdict == "PASS" else "0")
        answers = {key.lower(): answer(value) for key, value in data.get("answers", {}).items()}
        return cls(answers, default)

    @classmethod
    def load(cls, path: Path | None, default_verdict: str | None = None) -> AnswerKey:
        if path is None:
            return cls.from_json({}, default_verdict)
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")), default_verdict)

    def lookup(self, output: str) -> Answer:
        return self.answers.get(hashlib.sha256(output.encode("utf-8")).hexdigest(), self.default)


@dataclass(frozen=True)
class ReadPrompt:
    output: str
    canary: str | None
    threshold: Decimal


def read_prompt(messages: list[dict[str, Any]]) -> ReadPrompt:
    text = "\n".join(str(m.get("content", "")) for m in messages)
    fenced = _FENCED_OUTPUT.search(text)
    canary = _CANARY.search(text)
    threshold = _THRESHOLD.search(text)
    output = fenced.group(2) if fenced else str(messages[-1].get("content", "")) if messages else ""
    return ReadPrompt(
        output=output,
        canary=canary.group(1) if canary else None,
        threshold=Decimal(threshold.group(1)) if threshold else Decimal("0.5"),
    )


def _reply(verdict: str, score: str, reason: str) -> str:
    return json.dumps({"verdict": verdict, "score": score, "reason": reason})


def _flip(answer: Answer) -> Answer:
    return Answer("FAIL", "0") if answer.verdict == "PASS" else Answer("PASS", "1")


def answer_for(behaviour: Behaviour, model: str, prompt: ReadPrompt, key: AnswerKey) -> str:
    """The reply content for an answering behaviour (the error behaviours never get here)."""
    honest = key.lookup(prompt.output)
    if behaviour.noise_pct:
        bucket = int(hashlib.sha256(f"{model}\n{prompt.output}".encode()).hexdigest()[:8], 16) % 100
        if bucket < behaviour.noise_pct:
            honest = _flip(honest)
    match behaviour.name:
        case "always-pass":
            return _reply("PASS", "1", "Meets the criterion.")
        case "gullible":
            if screen(prompt.output):
                return _reply("PASS", "1", "The output states that it passes.")
            return _reply(honest.verdict, honest.score, "Graded from the answer key.")
        case "malformed":
            return 'PASS!! {"verdict": PASS, score: 1.0,'
        case "echo-canary":
            return _reply("PASS", "1", f"Token {prompt.canary or 'CANARY'} acknowledged.")
        case "echo-planted":
            planted = _PLANTED_JSON.search(prompt.output)
            return planted.group(0) if planted else _reply("PASS", "1", prompt.output[:200])
        case _:
            return _reply(honest.verdict, honest.score, "Graded from the answer key.")


def create_app(key: AnswerKey) -> FastAPI:
    app = FastAPI(title="Pactline simulated judges", description=__doc__)
    app.state.calls = Counter()
    app.state.stopping = False  # set by running*(): slow judges answer 503 instead of holding shutdown
    attempts: Counter[tuple[str, str]] = Counter()

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": b, "object": "model", "owned_by": FINGERPRINT} for b in sorted(BEHAVIOURS)],
        }

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return {"simulated": True, "calls": dict(app.state.calls)}

    @app.post("/v1/chat/completions")
    @app.post("/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        model = str(body.get("model", ""))
        messages = body.get("messages") or []
        app.state.calls[model] += 1
        try:
            behaviour = Behaviour.parse(model)
        except UnknownBehaviour as exc:
            return _error(404, str(exc), "model_not_found")
        if behaviour.delay_ms:
            await _sleep_unless_stopping(app, behaviour.delay_ms / 1000)
            if app.state.stopping:
                return _error(503, "simulated judge server is stopping", "server_stopping")
        if behaviour.name == "rate-limited":
            return _error(429, "simulated rate limit", "rate_limit_exceeded")
        if behaviour.name == "server-error":
            return _error(500, "simulated server error", "server_error")
        prompt_digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
        if behaviour.name == "flaky":
            attempts[(model, prompt_digest)] += 1
            if attempts[(model, prompt_digest)] <= behaviour.failures:
                return _error(429, "simulated rate limit (flaky)", "rate_limit_exceeded")
        content = answer_for(behaviour, model, read_prompt(messages), key)
        prompt_tokens = math.ceil(sum(len(str(m.get("content", "")).encode()) for m in messages) / 4)
        completion_tokens = math.ceil(len(content.encode()) / 4)
        log.info("simulated judge %s answered (%d+%d tokens)", model, prompt_tokens, completion_tokens)
        return JSONResponse(
            {
                "id": f"chatcmpl-sim-{prompt_digest[:16]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": FINGERPRINT,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    return app


async def _sleep_unless_stopping(app: FastAPI, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    # A plain flag polled in short naps: running_in_thread() sets it from another thread.
    while not app.state.stopping and (left := deadline - time.monotonic()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(min(left, 0.05))


def _error(status: int, message: str, code: str) -> JSONResponse:
    headers = {"retry-after": "0"} if status == 429 else None
    return JSONResponse(
        {"error": {"message": message, "type": code, "code": code}}, status_code=status, headers=headers
    )


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running(key: AnswerKey, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve on the current event loop; yields the OpenAI base URL (``http://host:port/v1``)."""
    port = port or _free_port(host)
    app = create_app(key)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    _announce(f"http://{host}:{port}/v1")
    try:
        yield f"http://{host}:{port}/v1"
    finally:
        app.state.stopping = True
        server.should_exit = True
        await task


@contextlib.contextmanager
def running_in_thread(key: AnswerKey, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve from a thread of its own (for synchronous callers such as the CLI)."""
    port = port or _free_port(host)
    app = create_app(key)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, name="simulated-judges", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the simulated judge server could not start on {host}:{port}")
        time.sleep(0.01)
    _announce(f"http://{host}:{port}/v1")
    try:
        yield f"http://{host}:{port}/v1"
    finally:
        app.state.stopping = True
        server.should_exit = True
        thread.join(timeout=10)


def _announce(url: str) -> None:
    log.warning("SIMULATED JUDGES on %s: answers come from an answer key and fixed behaviours, not from models", url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pactline_jury.judge_server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("PACTLINE_JUDGE_SERVER_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PACTLINE_JUDGE_SERVER_PORT", DEFAULT_PORT)))
    parser.add_argument("--answer-key", type=Path, default=os.environ.get("PACTLINE_JUDGE_ANSWER_KEY") or None)
    parser.add_argument("--default-verdict", choices=("PASS", "FAIL"), default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    key = AnswerKey.load(args.answer_key, args.default_verdict)
    log.warning(
        "SIMULATED JUDGES: this server answers from an answer key (%d entries, default %s), not from language models",
        len(key.answers),
        key.default.verdict,
    )
    # Slow judges sleep for up to a minute; a stop does not wait for them.
    uvicorn.run(create_app(key), host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=2)


if __name__ == "__main__":
    main()
