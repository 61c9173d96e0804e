"""Counting and pricing a measured call. Pure, integers only (docs/gateway.md, "Measurements")."""

from __future__ import annotations

import json

from pactline_events import TokenSource, ToolCall

from .completions import Completion

BYTES_PER_TOKEN = 4
"""The estimate's rate: one token per four UTF-8 bytes, rounded up (no tokenizer offline)."""


def estimate_tokens(text: str) -> int:
    size = len(text.encode("utf-8"))
    return -(-size // BYTES_PER_TOKEN)


def output_text(output: str, tool_calls: tuple[ToolCall, ...]) -> str:
    """What the output estimate counts: the text, then each call's name and arguments JSON."""
    calls = "".join(
        call.name + json.dumps(call.arguments, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        for call in tool_calls
    )
    return output + calls


def count_tokens(input_json: str, completion: Completion) -> tuple[int, int, TokenSource]:
    """(input, output, source): the agent's own usage when it reported both counts, else the
    estimate over the recorded input and output."""
    if completion.usage_input_tokens is not None and completion.usage_output_tokens is not None:
        return completion.usage_input_tokens, completion.usage_output_tokens, TokenSource.AGENT_USAGE
    return (
        estimate_tokens(input_json),
        estimate_tokens(output_text(completion.output, completion.tool_calls)),
        TokenSource.ESTIMATE,
    )


def price(price_per_task: int) -> int:
    """A call costs the acceptance's price per task (pacts have no per-token rates yet)."""
    return price_per_task
