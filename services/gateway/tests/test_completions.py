"""Reading the OpenAI wire format: the buyer's request and its extension, whole answers, and
streams cut into events and folded into the completion they spell."""

from __future__ import annotations

import json

import pytest

from pactline_gateway.completions import (
    RequestInvalid,
    ResponseMalformed,
    SseSplitter,
    StreamAccumulator,
    event_data,
    parse_request,
    parse_response,
    tool_arguments,
)

MESSAGES = [{"role": "user", "content": "Where is my order?"}]


def test_a_plain_request_is_forwarded_byte_for_byte():
    raw = json.dumps({"model": "m", "messages": MESSAGES, "temperature": 0.7}).encode()
    chat = parse_request(raw)
    assert chat.forward_body == raw
    assert chat.stream is False
    assert json.loads(chat.messages_json) == MESSAGES
    assert (chat.idempotency_key, chat.escrow_job_id, chat.reference) == (None, None, None)


def test_the_extension_is_read_and_never_reaches_the_agent():
    raw = json.dumps(
        {
            "messages": MESSAGES,
            "stream": True,
            "pactline": {"idempotency_key": "order-1", "escrow_job_id": "42", "reference": '{"total": "9.50"}'},
        }
    ).encode()
    chat = parse_request(raw)
    assert (chat.idempotency_key, chat.escrow_job_id, chat.reference) == ("order-1", "42", '{"total": "9.50"}')
    assert chat.stream is True
    assert "pactline" not in json.loads(chat.forward_body)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b"not json", ""),
        (b"[]", ""),
        (b'{"messages": []}', "/messages"),
        (b'{"messages": ["hi"]}', "/messages"),
        (b'{"messages": [{"role": "user"}], "stream": "yes"}', "/stream"),
        (b'{"messages": [{"role": "user"}], "n": 2}', "/n"),
        (b'{"messages": [{"role": "user"}], "pactline": {"latency_ms": 1}}', "/pactline/latency_ms"),
        (b'{"messages": [{"role": "user"}], "pactline": {"escrow_job_id": 42}}', "/pactline/escrow_job_id"),
        (b'{"messages": [{"role": "user"}], "pactline": {"idempotency_key": "a b"}}', "/pactline/idempotency_key"),
        (b'{"messages": [{"role": "user"}], "pactline": []}', "/pactline"),
    ],
)
def test_requests_the_gateway_cannot_measure_are_refused_at_their_pointer(body, pointer):
    with pytest.raises(RequestInvalid) as refused:
        parse_request(body)
    assert refused.value.pointer == pointer


def test_a_whole_answer_gives_text_tool_calls_and_usage():
    raw = json.dumps(
        {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": "Shipped.",
                        "tool_calls": [{"function": {"name": "lookup", "arguments": '{"order": 12, "w": 0.5}'}}],
                    }
                }
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 3},
        }
    ).encode()
    completion = parse_response(raw)
    assert completion.output == "Shipped."
    assert completion.tool_calls[0].name == "lookup"
    assert completion.tool_calls[0].arguments == {"order": 12, "w": "0.5"}  # no float reaches an event
    assert (completion.usage_input_tokens, completion.usage_output_tokens) == (9, 3)


@pytest.mark.parametrize(
    "raw",
    [b"<html>busy</html>", b'{"choices": []}', b'{"choices": [{"message": {"content": 5}}]}', b'{"choices": [1]}'],
)
def test_answers_that_are_not_completions_are_malformed(raw):
    with pytest.raises(ResponseMalformed):
        parse_response(raw)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('{"big": 9007199254740993}', {"big": "9007199254740993"}),
        ('{"x": NaN}', {"x": "NaN"}),
        ("[1, 2]", {"_unparsed": "[1, 2]"}),
        ("{oops", {"_unparsed": "{oops"}),
        (None, {"_unparsed": "null"}),
    ],
)
def test_tool_arguments_become_float_free_objects(text, expected):
    assert tool_arguments(text) == expected


def test_lone_surrogates_are_replaced_so_the_output_can_be_hashed():
    raw = b'{"choices": [{"message": {"content": "a\\ud800b"}}]}'
    assert parse_response(raw).output == "a\ufffdb"


def test_events_are_cut_whole_whatever_the_chunking():
    stream = b'data: {"a": 1}\n\ndata: {"b": 2}\r\n\r\n: comment\n\ndata: [DONE]\n\n'
    for size in (1, 3, 7, len(stream)):
        splitter = SseSplitter()
        events = [e for i in range(0, len(stream), size) for e in splitter.feed(stream[i : i + size])]
        assert [event_data(e) for e in events] == ['{"a": 1}', '{"b": 2}', None, "[DONE]"]
        assert b"".join(events) == stream
        assert splitter.rest() == b""


def test_multi_line_data_is_joined():
    assert event_data(b"event: x\ndata: line one\ndata: line two\n\n") == "line one\nline two"


def _chunk(delta: dict, usage: dict | None = None) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": delta}], **({"usage": usage} if usage else {})})


def test_a_stream_folds_into_its_completion_and_says_which_events_were_tokens():
    folded = StreamAccumulator()
    tokens = [
        folded.add(_chunk({"role": "assistant"})),
        folded.add(_chunk({"content": "Hel"})),
        folded.add(_chunk({"content": "lo"})),
        folded.add(_chunk({"tool_calls": [{"index": 0, "function": {"name": "look", "arguments": '{"q": '}}]})),
        folded.add(_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"x"}'}}]})),
        folded.add(json.dumps({"choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 2}})),
        folded.add("[DONE]"),
    ]
    assert tokens == [False, True, True, True, True, False, False]
    completion = folded.completion()
    assert completion.output == "Hello"
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [("look", {"q": "x"})]
    assert (completion.usage_input_tokens, completion.usage_output_tokens) == (4, 2)
    assert folded.done
    assert folded.malformed is None


def test_a_broken_stream_event_is_noted_not_fatal():
    folded = StreamAccumulator()
    folded.add("{not json")
    folded.add(_chunk({"content": "still here"}))
    assert folded.malformed.startswith("a stream event is not JSON")
    assert folded.completion().output == "still here"
