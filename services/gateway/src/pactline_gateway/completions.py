"""The OpenAI chat completions wire format, as far as the gateway reads it: the buyer's request,
a whole response, and a stream of server-sent events. Pure: bytes in, values out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pactline_events import ToolCall, parse_json

EXTENSION = "pactline"
"""The request's extension object, read and removed by the gateway before forwarding."""

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_UINT256 = re.compile(r"^(0|[1-9][0-9]{0,77})$")
_SAFE_INT = 2**53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


class RequestInvalid(ValueError):
    """The buyer's request is not a chat completion the gateway can measure."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer or '<body>'}: {message}")
        self.pointer = pointer
        self.message = message


class ResponseMalformed(ValueError):
    """The agent's answer is not an OpenAI chat completion."""


@dataclass(frozen=True)
class ChatRequest:
    forward_body: bytes  # what the agent receives: the request without the extension object
    stream: bool
    messages_json: str  # the recorded input
    idempotency_key: str | None = None
    escrow_job_id: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Completion:
    """What the agent answered: the first choice's text and tool calls, and its own usage."""

    output: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage_input_tokens: int | None = None
    usage_output_tokens: int | None = None


def parse_request(raw: bytes) -> ChatRequest:
    try:
        body = parse_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestInvalid("", f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise RequestInvalid("", "a chat completion request is a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise RequestInvalid("/messages", "a non-empty array of message objects is required")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise RequestInvalid("/stream", "must be true or false")
    if body.get("n", 1) != 1:
        raise RequestInvalid("/n", "the gateway measures one answer per call; omit n or set it to 1")
    extension = body.pop(EXTENSION, None)
    fields = _extension(extension) if extension is not None else {}
    # Forward the buyer's bytes untouched when there is nothing to strip.
    forward = raw if extension is None else json.dumps(body, ensure_ascii=False).encode()
    messages_json = json.dumps(messages, ensure_ascii=False, separators=(",", ":"))
    return ChatRequest(forward, stream, _valid_unicode(messages_json), **fields)


def _extension(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise RequestInvalid(f"/{EXTENSION}", "must be an object")
    fields: dict[str, str] = {}
    for name, item in value.items():
        pointer = f"/{EXTENSION}/{name}"
        if name == "idempotency_key":
            if not isinstance(item, str) or not _IDEMPOTENCY_KEY.match(item):
                raise RequestInvalid(pointer, "printable ASCII without spaces, 1 to 200 characters")
        elif name == "escrow_job_id":
            if not isinstance(item, str) or not _UINT256.match(item):
                raise RequestInvalid(pointer, "a uint256 as a decimal string")
        elif name == "reference":
            if not isinstance(item, str):
                raise RequestInvalid(pointer, "a string (the expected answer, e.g. JSON text)")
            item = _valid_unicode(item)
        else:
            raise RequestInvalid(pointer, "unknown field; allowed: idempotency_key, escrow_job_id, reference")
        fields[name] = item
    return fields


def parse_response(raw: bytes) -> Completion:
    """A whole (non-streamed) completion."""
    try:
        body = parse_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResponseMalformed(f"the agent's answer is not JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list) or not body["choices"]:
        raise ResponseMalformed("the agent's answer has no choices")
    choice = body["choices"][0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise ResponseMalformed("the agent's first choice has no message")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise ResponseMalformed("the agent's message content is not a string")
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise ResponseMalformed("the agent's tool_calls is not an array")
    tool_calls = tuple(_tool_call(call.get("function") if isinstance(call, dict) else None) for call in calls)
    return Completion(_valid_unicode(content or ""), tool_calls, *_usage(body.get("usage")))


def _tool_call(function: Any) -> ToolCall:
    if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
        raise ResponseMalformed("a tool call has no function name")
    return ToolCall(name=_valid_unicode(function["name"])[:200], arguments=tool_arguments(function.get("arguments")))


def tool_arguments(text: Any) -> dict[str, Any]:
    """Arguments as the event records them: a JSON object without floats or unsafe integers
    (such numbers become decimal strings); anything else is kept as text under ``_unparsed``."""
    if isinstance(text, dict):
        return _json_safe(text)
    if not isinstance(text, str):
        return {"_unparsed": json.dumps(text)}
    try:
        value = parse_json(text, parse_float=str, parse_constant=str)
    except ValueError:
        return {"_unparsed": _valid_unicode(text)}
    return _json_safe(value) if isinstance(value, dict) else {"_unparsed": _valid_unicode(text)}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {_valid_unicode(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _SAFE_INT:
        return str(value)
    if isinstance(value, str):
        return _valid_unicode(value)
    return value


def _usage(usage: Any) -> tuple[int | None, int | None]:
    if not isinstance(usage, dict):
        return None, None
    counts = [usage.get("prompt_tokens"), usage.get("completion_tokens")]
    if all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= _SAFE_INT for c in counts):
        return counts[0], counts[1]
    return None, None


def _valid_unicode(text: str) -> str:
    """Lone UTF-16 surrogates are not Unicode and cannot be hashed as UTF-8: U+FFFD instead."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Pairs were joined when the JSON was read, so every surrogate left is a lone one.
        return _SURROGATE.sub("\ufffd", text)
    return text


# Streams -------------------------------------------------------------------------------------


class SseSplitter:
    """Cuts a byte stream into whole server-sent events (each with its blank line), so each is
    forwarded as soon as it is complete and nothing more is held back."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._pending + chunk
        events = []
        while True:
            cut = _event_end(data)
            if cut < 0:
                break
            events.append(data[:cut])
            data = data[cut:]
        self._pending = data
        return events

    def rest(self) -> bytes:
        rest, self._pending = self._pending, b""
        return rest


def _event_end(data: bytes) -> int:
    ends = [i + len(sep) for sep in (b"\n\n", b"\r\n\r\n", b"\r\r") if (i := data.find(sep)) >= 0]
    return min(ends) if ends else -1


def event_data(event: bytes) -> str | None:
    """The joined ``data:`` lines of one event, or None when it has none."""
    lines = [line for line in event.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n") if line]
    data = [line[5:].removeprefix(b" ") for line in lines if line.startswith(b"data:")]
    return b"\n".join(data).decode("utf-8", "replace") if data else None


DONE = "[DONE]"


@dataclass
class StreamAccumulator:
    """Folds ``chat.completion.chunk`` payloads into the completion they spell out."""

    parts: list[str] = field(default_factory=list)
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    usage: tuple[int | None, int | None] = (None, None)
    malformed: str | None = None
    done: bool = False

    def add(self, data: str) -> bool:
        """Take one event's data; True when it carried content or a tool call (a token)."""
        if data.strip() == DONE:
            self.done = True
            return False
        try:
            chunk = parse_json(data)
        except ValueError as exc:
            self.malformed = self.malformed or f"a stream event is not JSON: {exc}"
            return False
        if not isinstance(chunk, dict):
            self.malformed = self.malformed or "a stream event is not a JSON object"
            return False
        if chunk.get("usage") is not None:
            self.usage = _usage(chunk["usage"])
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return False
        delta = choices[0].get("delta")
        if not isinstance(delta, dict):
            return False
        token = False
        content = delta.get("content")
        if isinstance(content, str) and content:
            self.parts.append(content)
            token = True
        for call in delta.get("tool_calls") or []:
            if isinstance(call, dict):
                token = self._add_call(call) or token
        return token

    def _add_call(self, call: dict[str, Any]) -> bool:
        index = call.get("index", 0)
        slot = self.calls.setdefault(index if isinstance(index, int) else 0, {"name": "", "arguments": ""})
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        if isinstance(function.get("name"), str):
            slot["name"] += function["name"]
        if isinstance(function.get("arguments"), str):
            slot["arguments"] += function["arguments"]
        return bool(function)

    def completion(self) -> Completion:
        tool_calls = tuple(
            ToolCall(name=_valid_unicode(slot["name"])[:200] or "unnamed", arguments=tool_arguments(slot["arguments"]))
            for _, slot in sorted(self.calls.items())
        )
        return Completion(_valid_unicode("".join(self.parts)), tool_calls, *self.usage)
