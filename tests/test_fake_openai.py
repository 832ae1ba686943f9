"""The fake chat completions API is as strict as the real one, so the local engine's tests mean
something: it refuses what the API reference refuses, and answers what the real client reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.fake_openai import FakeOpenAI, tool_calls

USER = [{"role": "user", "content": "hi"}]
OPEN_OBJECT = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
TOOL = {"type": "function", "function": {"name": "record", "parameters": {"type": "object"}}}


@pytest.fixture()
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def client(fake: FakeOpenAI) -> Any:
    """The real client, typed loosely: these calls send what the types would not allow."""
    return openai.OpenAI(base_url=fake.url, api_key="k", max_retries=0, timeout=10)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"messages": USER, "extra_body": {"temperatur": 0}}, "Unrecognized request argument"),
        ({"messages": [{"role": "bot", "content": "hi"}]}, "role must be one of"),
        ({"messages": []}, "messages must be a non-empty array"),
        ({"messages": [{"role": "user"}]}, "content is required"),
        ({"messages": USER, "max_tokens": 0}, "max_tokens"),
        ({"messages": USER, "tool_choice": "auto"}, "only allowed when tools"),
        ({"messages": USER, "tools": [TOOL],
          "tool_choice": {"type": "function", "function": {"name": "other"}}}, "naming one"),
        ({"messages": USER, "tools": [{"function": TOOL["function"]}]}, "type: function"),
        ({"messages": USER, "tools": ["record"]}, "type: function"),
        ({"messages": USER, "response_format": {"type": "json_schema"}}, "json_schema is required"),
        ({"messages": USER, "response_format": {"type": "json_schema", "json_schema": {
            "name": "a draft", "schema": OPEN_OBJECT}}}, "name must match"),
        ({"messages": USER, "response_format": {"type": "json_schema", "json_schema": {
            "name": "draft", "schema": OPEN_OBJECT, "strict": True}}}, "additionalProperties"),
        ({"messages": USER, "response_format": {"type": "json_schema", "json_schema": {
            "name": "draft", "strict": True, "schema": {**OPEN_OBJECT, "required": [],
                                                         "additionalProperties": False}}}},
         "'required' must include every key"),
        ({"messages": USER, "response_format": {"type": "json_object"}}, "the word 'json'"),
    ],
)  # fmt: skip
def test_the_fake_refuses_what_the_api_refuses(fake, params: dict[str, Any], named: str):
    with pytest.raises(openai.BadRequestError) as refused:
        client(fake).chat.completions.create(model="m", **params)
    assert named in str(refused.value) and len(fake.violations) == 1
    assert refused.value.body["type"] == "invalid_request_error"  # type: ignore[index]


def test_a_request_without_an_api_key_is_unauthorized_with_the_error_object(fake):
    answered = httpx.post(f"{fake.url}/chat/completions", json={"model": "m", "messages": USER})
    assert answered.status_code == 401
    assert set(answered.json()["error"]) == {"message", "type", "param", "code"}
    assert fake.violations and "API key" in fake.violations[0]


def test_a_wrong_path_is_not_found(fake):
    with pytest.raises(openai.NotFoundError):
        client(fake).completions.create(model="m", prompt="hi")
    assert fake.violations == ["Unknown request URL: POST /v1/completions"]


def test_the_fake_answers_a_chat_completion_the_client_reads(fake):
    fake.reply = lambda _request: tool_calls("record", json.dumps({"a": "b"}))
    schema = {**OPEN_OBJECT, "additionalProperties": False}
    made = client(fake).chat.completions.create(
        model="llama3.1",
        messages=[{"role": "system", "content": "be brief"}, *USER],
        tools=[TOOL],
        tool_choice={"type": "function", "function": {"name": "record"}},
    )
    assert made.object == "chat.completion" and made.model == "llama3.1"
    (choice,) = made.choices
    assert choice.finish_reason == "tool_calls" and choice.message.role == "assistant"
    (call,) = choice.message.tool_calls or []
    assert call.type == "function" and json.loads(call.function.arguments) == {"a": "b"}
    assert made.usage and made.usage.total_tokens > 0
    fake.reply = lambda _request: {"content": '{"a": "b"}'}
    strict = {"type": "json_schema", "json_schema": {"name": "d", "schema": schema, "strict": True}}
    answered = client(fake).chat.completions.create(
        model="m",
        messages=USER,
        response_format=strict,
    )
    assert answered.choices[0].message.content == '{"a": "b"}'
    assert fake.violations == []


def test_the_fake_fails_on_demand(fake):
    fake.fail_next(429, retry_after="7")
    with pytest.raises(openai.RateLimitError) as limited:
        client(fake).chat.completions.create(model="m", messages=USER)
    assert limited.value.response.headers["retry-after"] == "7"
    fake.refuse_json_schema = True
    with pytest.raises(openai.BadRequestError) as refused:
        client(fake).chat.completions.create(
            model="m",
            messages=USER,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "d", "schema": {"type": "object"}},
            },
        )
    assert "json_schema is not supported" in str(refused.value)
    assert fake.violations == [] and len(fake.requests) == 2
