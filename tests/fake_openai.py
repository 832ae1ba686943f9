"""A strict loopback fake of the OpenAI chat completions API, for the real `openai` client
(``OpenAI(base_url=fake.url)``), as Ollama, vLLM, LM Studio or a gateway serve it.

It takes ``POST /v1/chat/completions`` and checks what the API reference documents: the request
arguments it knows (an unknown one is refused, as OpenAI does), ``model`` and ``messages``, each
message's role and content, ``response_format`` (``json_schema`` with its name, schema and
strict flag; a strict schema must close every object and require every property), ``tools`` and
``tool_choice``. A request it refuses is answered 400 with OpenAI's error object and kept in
``violations`` (the ``fake_openai`` fixtures fail the test on any). A good request is answered
with a ``chat.completion`` object made from ``reply`` (the message: ``content``, or
``tool_calls`` whose arguments are a JSON string, and its ``finish_reason``).

On demand it refuses ``json_schema`` with a 400 as servers without structured output do
(``refuse_json_schema``), answers 429 with Retry-After or 5xx (``fail_next``), answers 200 with a
body that is no chat completion (``body_next``), or holds a request until it is stopped, so the
client times out (``hang_next``). It records every request, so a test
can check nothing private was ever sent.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.loopback import JsonHandler, Loopback

JSON = dict[str, Any]
Reply = Callable[[JSON], JSON]

PATH = "/v1/chat/completions"
CREATED = 1_763_460_000  # a fixed `created`: nothing here reads the clock
ARGUMENTS = {
    "model", "messages", "audio", "frequency_penalty", "function_call", "functions", "logit_bias",
    "logprobs", "max_completion_tokens", "max_tokens", "metadata", "modalities", "n",
    "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
    "reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier", "stop",
    "store", "stream", "stream_options", "temperature", "tool_choice", "tools", "top_logprobs",
    "top_p", "user", "verbosity", "web_search_options",
}  # fmt: skip
MESSAGE_KEYS = {
    "system": {"role", "content", "name"},
    "developer": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    "assistant": {"role", "content", "name", "tool_calls", "refusal", "audio", "function_call"},
    "tool": {"role", "content", "tool_call_id"},
}
FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "function_call")
NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
REFUSED_JSON_SCHEMA = (
    "response_format of type json_schema is not supported by this server; "
    "use tools or response_format json_object"
)


class Refused(Exception):
    """A request the real API refuses: 400 naming the argument (401 without an API key)."""

    def __init__(self, message: str, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.status = status


# ---------------------------------------------------------------- replies


def text_reply(text: str) -> Reply:
    """Answer every request with this text."""
    return lambda _request: {"content": text}


def tool_calls(name: str, arguments: str) -> JSON:
    """A message calling function `name` with `arguments` (a JSON string, as the API sends it)."""
    call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
    return {"content": None, "tool_calls": [call]}


def asked_json_schema(request: JSON) -> bool:
    return (request.get("response_format") or {}).get("type") == "json_schema"


def draft_reply(draft: JSON | Callable[[JSON], JSON]) -> Reply:
    """A model that answers in the form asked: JSON content for ``json_schema``, a call of the one
    forced tool for ``tools`` (``draft`` may be a function of the request)."""

    def reply(request: JSON) -> JSON:
        data = draft(request) if callable(draft) else draft
        if request.get("tools"):
            return tool_calls(request["tools"][0]["function"]["name"], json.dumps(data))
        return {"content": json.dumps(data)}

    return reply


@contextmanager
def refused_url() -> Iterator[str]:
    """The base URL of a server that is down: its port is bound but never listens, so every
    connection is refused (and no other server can take the port meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


# ---------------------------------------------------------------- checks


def _check_content(role: str, content: Any, where: str) -> None:
    if isinstance(content, str):
        return
    if content is None and role == "assistant":
        return
    if not isinstance(content, list) or not content:
        raise Refused(f"{where}.content must be a string or an array of content parts", where)
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        allowed = ("text",) if role in ("system", "developer", "tool") else ("text", "image_url")
        if kind not in allowed or (kind == "text" and not isinstance(part.get("text"), str)):
            raise Refused(f"{where}.content has an invalid part for role {role!r}", where)


def check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise Refused("messages must be a non-empty array", "messages")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        role = message.get("role") if isinstance(message, dict) else None
        if role not in MESSAGE_KEYS:
            raise Refused(f"{where}.role must be one of {', '.join(MESSAGE_KEYS)}", where)
        extra = set(message) - MESSAGE_KEYS[role]
        if extra:
            raise Refused(f"{where}: unrecognized field(s) {sorted(extra)}", where)
        if "content" not in message and not (role == "assistant" and message.get("tool_calls")):
            raise Refused(f"{where}.content is required", where)
        _check_content(role, message.get("content"), where)
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise Refused(f"{where}.tool_call_id is required", where)


def check_strict_schema(schema: Any, where: str = "schema") -> None:
    """What strict structured output requires: each object closed, each property required."""
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            check_strict_schema(item, f"{where}[{i}]")
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "object":
        if schema.get("additionalProperties") is not False:
            raise Refused(
                f"Invalid schema for response_format: In context={where}, "
                "'additionalProperties' is required to be supplied and to be false",
                "response_format",
            )
        missing = set(schema.get("properties") or {}) - set(schema.get("required") or [])
        if missing:
            raise Refused(
                f"Invalid schema for response_format: In context={where}, 'required' must "
                f"include every key in properties; missing {sorted(missing)}",
                "response_format",
            )
    for key, value in schema.items():
        check_strict_schema(value, f"{where}.{key}")


def check_response_format(value: Any, messages: list[JSON]) -> None:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        raise Refused(
            "response_format.type must be text, json_object or json_schema", "response_format"
        )
    if kind == "json_object" and "json" not in json.dumps(messages).lower():
        raise Refused("'messages' must contain the word 'json' to use json_object", "messages")
    if kind != "json_schema":
        return
    spec = value.get("json_schema")
    if set(value) != {"type", "json_schema"} or not isinstance(spec, dict):
        raise Refused(
            "response_format.json_schema is required (and nothing else)", "response_format"
        )
    if set(spec) - {"name", "description", "schema", "strict"}:
        raise Refused(
            f"response_format.json_schema: unrecognized {sorted(set(spec))}", "response_format"
        )
    if not isinstance(spec.get("name"), str) or not NAME.match(spec["name"]):
        raise Refused(
            "response_format.json_schema.name must match ^[a-zA-Z0-9_-]{1,64}$", "response_format"
        )
    schema = spec.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise Refused(
            "response_format.json_schema.schema must be an object schema", "response_format"
        )
    if "strict" in spec and not isinstance(spec["strict"], bool):
        raise Refused("response_format.json_schema.strict must be a boolean", "response_format")
    if spec.get("strict"):
        check_strict_schema(schema)


def check_tools(tools: Any, choice: Any) -> None:
    names: set[str] = set()
    if tools is not None:
        if not isinstance(tools, list) or not tools or len(tools) > 128:
            raise Refused("tools must be a non-empty array of at most 128 tools", "tools")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or tool.get("type") != "function":
                raise Refused(f"tools[{i}] must be {{type: function, function: {{...}}}}", "tools")
            function = tool.get("function")
            if set(tool) != {"type", "function"}:
                raise Refused(f"tools[{i}] must be {{type: function, function: {{...}}}}", "tools")
            if not isinstance(function, dict) or set(function) - {
                "name",
                "description",
                "parameters",
                "strict",
            }:
                raise Refused(f"tools[{i}].function has unrecognized fields", "tools")
            if not isinstance(function.get("name"), str) or not NAME.match(function["name"]):
                raise Refused(
                    f"tools[{i}].function.name must match ^[a-zA-Z0-9_-]{{1,64}}$", "tools"
                )
            parameters = function.get("parameters", {"type": "object"})
            if not isinstance(parameters, dict) or parameters.get("type") != "object":
                raise Refused(f"tools[{i}].function.parameters must be an object schema", "tools")
            names.add(function["name"])
    if choice is None:
        return
    if not names:
        raise Refused("tool_choice is only allowed when tools are specified", "tool_choice")
    if choice in ("none", "auto", "required"):
        return
    function = choice.get("function") if isinstance(choice, dict) else None
    if (
        not isinstance(function, dict)
        or choice.get("type") != "function"
        or set(choice) != {"type", "function"}
        or function.get("name") not in names
    ):
        raise Refused(
            "tool_choice must be none, auto, required or {type: function, function: {name}} "
            "naming one of the tools",
            "tool_choice",
        )


def check_request(body: Any) -> None:
    """Refused when the real API would refuse `body`."""
    if not isinstance(body, dict):
        raise Refused("the request body must be a JSON object")
    unknown = set(body) - ARGUMENTS
    if unknown:
        raise Refused(
            f"Unrecognized request argument supplied: {sorted(unknown)[0]}", sorted(unknown)[0]
        )
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Refused("you must provide a model parameter", "model")
    check_messages(body.get("messages"))
    for key in ("max_tokens", "max_completion_tokens"):
        value = body.get(key)
        if key in body and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise Refused(f"{key} must be an integer of at least 1", key)
    if body.get("stream"):
        raise Refused("this fake answers without streaming", "stream")
    if body.get("n", 1) != 1:
        raise Refused("this fake answers one choice", "n")
    if "response_format" in body:
        check_response_format(body["response_format"], body["messages"])
    check_tools(body.get("tools"), body.get("tool_choice"))


# ---------------------------------------------------------------- the server


class _Handler(JsonHandler):
    fake: FakeOpenAI

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload, headers = self.fake.answer(self.path, self._headers(), raw)
        if isinstance(payload, bytes):
            self.send_body(status, payload, headers)
        else:
            self.send_json(status, payload, headers)

    def do_GET(self) -> None:
        self.send_json(*self.fake.answer(self.path, self._headers(), None))


def error(message: str, kind: str, param: str | None = None, code: str | None = None) -> JSON:
    """OpenAI's error object."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class FakeOpenAI(Loopback):
    """Records requests; answers with `reply`; refuses, fails or hangs on demand."""

    handler = _Handler

    def __init__(self) -> None:
        self.requests: list[JSON] = []  # every request body, answered or not
        self.headers: list[dict[str, str]] = []  # names in lower case
        self.violations: list[str] = []  # what the real API would refuse
        self.reply: Reply = text_reply(
            "The customer asked for a refund. The agent explained the policy."
        )
        self.refuse_json_schema = False  # as a server without structured output
        self._failures: list[tuple[int, str]] = []
        self._bodies: list[tuple[bytes, str]] = []  # answers sent as they are, with a 200
        self._hangs = 0
        self._release = threading.Event()
        self._lock = threading.Lock()

    def stop(self) -> None:
        self._release.set()  # held requests end (their clients are long gone)
        super().stop()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL a client is given (as Ollama's http://localhost:11434/v1)."""
        return f"{self.origin}/v1"

    @property
    def sent(self) -> str:
        """Everything the client sent, as one string."""
        return json.dumps(self.requests, ensure_ascii=False)

    def fail_next(self, status: int = 500, times: int = 1, retry_after: str = "0") -> None:
        """The next `times` requests answer `status` (429: with Retry-After `retry_after`)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    def body_next(self, body: bytes, content_type: str = "application/json") -> None:
        """The next good request is answered 200 with `body` as it is (not a chat completion:
        HTML from a proxy, a body cut short, bytes that are not UTF-8)."""
        with self._lock:
            self._bodies.append((body, content_type))

    def hang_next(self, times: int = 1) -> None:
        """The next `times` requests get no answer until the fake stops (the client times out)."""
        with self._lock:
            self._hangs += times

    def answer(
        self, path: str, headers: dict[str, str], raw: bytes | None
    ) -> tuple[int, JSON | bytes, dict[str, str]]:
        """What the fake sends back for one request."""
        if raw is None or path.split("?")[0] != PATH:
            method = "GET" if raw is None else "POST"
            message = f"Unknown request URL: {method} {path}"
            self.violations.append(message)
            return 404, error(message, "invalid_request_error", code="unknown_url"), {}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(body if isinstance(body, dict) else {"_raw": raw.decode()})
            self.headers.append(headers)
            hang = self._hangs > 0
            self._hangs -= 1 if hang else 0
            failure = None if hang or not self._failures else self._failures.pop(0)
        if hang:
            self._release.wait()
            return 500, error("the fake was stopped", "server_error"), {}
        try:
            if not (headers.get("authorization") or "").startswith("Bearer "):
                raise Refused(
                    "You didn't provide an API key (Authorization: Bearer ...)", status=401
                )
            if "application/json" not in (headers.get("content-type") or ""):
                raise Refused("the request body must be application/json")
            check_request(body)
        except Refused as exc:
            self.violations.append(str(exc))
            return exc.status, error(str(exc), "invalid_request_error", exc.param), {}
        assert isinstance(body, dict)
        if failure is not None:
            return self._failure(*failure)
        with self._lock:
            as_is = self._bodies.pop(0) if self._bodies else None
        if as_is is not None:
            return 200, as_is[0], {"Content-Type": as_is[1]}
        if self.refuse_json_schema and asked_json_schema(body):
            return 400, error(REFUSED_JSON_SCHEMA, "invalid_request_error", "response_format"), {}
        return 200, self.completion(body), {}

    @staticmethod
    def _failure(status: int, retry_after: str) -> tuple[int, JSON, dict[str, str]]:
        if status == 429:
            body = error(
                "Rate limit reached; try again later", "requests", None, "rate_limit_exceeded"
            )
            return status, body, {"Retry-After": retry_after}
        return status, error("The server had an error processing your request", "server_error"), {}

    def completion(self, request: JSON) -> JSON:
        """A chat.completion object answering `request` with `reply`'s message."""
        made = dict(self.reply(request))
        calls = made.pop("tool_calls", None)
        finish = made.pop("finish_reason", "tool_calls" if calls else "stop")
        assert finish in FINISH_REASONS, f"the API never finishes with {finish!r}"
        message: JSON = {
            "role": "assistant",
            "content": made.pop("content", None),
            "refusal": made.pop("refusal", None),
            "annotations": [],
        }
        if calls:
            assert all(isinstance(c["function"]["arguments"], str) for c in calls)
            message["tool_calls"] = calls
        prompt = len(json.dumps(request["messages"]).split())
        answer = len(json.dumps(message).split())
        with self._lock:
            number = len(self.requests)
        return {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": CREATED,
            "model": request["model"],
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": answer,
                "total_tokens": prompt + answer,
            },
        }
