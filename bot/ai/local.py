"""A model behind an OpenAI-compatible chat endpoint (Ollama, vLLM, LM Studio, a gateway), for
teams whose conversations must not leave: the summary engine and the QA engine, through the
`openai` client (timeouts, retries with backoff on 429, 5xx and timeouts). Like Claude's, they
send only the redacted transcript and the ticket's metadata, with the same prompts.

A QA draft is asked for as JSON matching the draft's schema (`response_format` json_schema). A
server that refuses that (a 400 naming it) or answers without JSON is asked through the draft
tool instead (`tools`, `tool_choice`), and the engine remembers it for the process. Either
answer is read by `answer_from_tool`, as Claude's is; what fails goes to the offline fallback.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any, Literal

from bot.ai import summaries
from bot.ai.claude import MAX_RETRIES
from bot.ai.offline import OfflineSummarizer
from bot.ai.qa_drafts import (
    ANSWER_BY_JSON,
    ANSWER_BY_TOOL,
    RULES,
    TOOL_NAME,
    answer_from_tool,
    draft_prompt,
    draft_tool,
    rubric_prompt,
)
from bot.ai.summaries import SummaryRequest, at_most_three_sentences, summary_prompt
from bot.qa.draft import Answer, DraftRequest
from bot.qa.rubric import RubricSpec

if TYPE_CHECKING:
    from collections.abc import Sequence

    import openai
    from openai.types.chat import ChatCompletionMessage

log = logging.getLogger("bot.ai.local")

NO_KEY = "no-key"  # a local server takes any key, and the client sends one
ENGINE_NAME_MAX = 64  # what the samples' and drafts' engine columns hold
Structure = Literal["json_schema", "tools"]


def client(
    *, base_url: str, api_key: str | None, timeout: float, max_retries: int = MAX_RETRIES
) -> openai.OpenAI:
    """The client: it times out after `timeout` seconds and retries 429, 5xx and timeouts with
    backoff (a server's Retry-After is waited out)."""
    import openai

    return openai.OpenAI(
        base_url=base_url, api_key=api_key or NO_KEY, timeout=timeout, max_retries=max_retries
    )


def local_name(model: str) -> str:
    """`local:<model>`, the name recorded on what the local engine writes."""
    return f"local:{model}"[:ENGINE_NAME_MAX]


def strict_schema(schema: Any) -> Any:
    """`schema` with every object closed (`additionalProperties: false`), as strict structured
    output requires (every property of the draft's objects is already required)."""
    if isinstance(schema, dict):
        closed = {key: strict_schema(value) for key, value in schema.items()}
        if closed.get("type") == "object":
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    return schema


def json_schema_format(rubric: RubricSpec) -> dict[str, Any]:
    """The `response_format` asking for the draft as JSON matching its schema."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": TOOL_NAME,
            "schema": strict_schema(draft_tool(rubric)["input_schema"]),
            "strict": True,
        },
    }


def function_tool(rubric: RubricSpec) -> dict[str, Any]:
    """The draft tool as a chat completions function."""
    tool = draft_tool(rubric)
    return {
        "type": "function",
        "function": {
            "name": tool["name"],
            "description": tool["description"],
            "parameters": tool["input_schema"],
        },
    }


def refuses_json_schema(exc: BaseException) -> bool:
    """Whether the server refused `response_format` json_schema (as servers without structured
    output do: a 400, or a 422, naming it)."""
    import openai

    if not isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
        return False
    said = f"{exc} {exc.body}".lower()
    return "response_format" in said or "json_schema" in said


_FENCED = re.compile(r"\A\s*```[A-Za-z0-9_-]{0,20}[ \t]*\n(.*)\n[ \t]*```\s*\Z", re.DOTALL)


def unfenced(text: str) -> str:
    """The JSON inside one Markdown code fence, as local models often wrap it; else the text."""
    found = _FENCED.match(text)
    return found.group(1) if found else text


def only_message(completion: object) -> ChatCompletionMessage:
    """The answer's message; ValueError when the server answered something other than a chat
    completion (a 200 that is not JSON reaches here as the body's text), when there is no
    message, it was cut off or refused."""
    from openai.types.chat import ChatCompletion

    if not isinstance(completion, ChatCompletion):
        raise ValueError("the server answered without a chat completion")
    if not completion.choices:
        raise ValueError("the model answered with no choice")
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        raise ValueError("the model's answer was cut off (max_tokens)")
    if choice.message.refusal:
        raise ValueError(f"the model refused: {choice.message.refusal}")
    return choice.message


def tool_input(message: ChatCompletionMessage) -> Any:
    """The draft tool's arguments, parsed; ValueError when the tool wasn't called with JSON."""
    for call in message.tool_calls or []:
        if call.type == "function" and call.function.name == TOOL_NAME:
            try:
                return json.loads(call.function.arguments)
            except ValueError as exc:
                raise ValueError(f"the draft tool's arguments are not JSON ({exc})") from None
    raise ValueError("the model answered without calling the draft tool")


class LocalModel:
    """What both local engines share: the client, the model and the name it is recorded by."""

    timeout = 120.0  # seconds a call may take (a local model can be slow)

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self.client = client(
            base_url=base_url,
            api_key=api_key,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=max_retries,
        )
        self.model = model
        self.name = local_name(model)


class LocalSummarizer(LocalModel):
    """The local model writes the summary: same system prompt and request as Claude's."""

    def summarize(self, request: SummaryRequest) -> str:
        """Ask the model; the caller redacts the answer again before storing it."""
        if not request.transcript or not request.transcript.strip():
            return OfflineSummarizer().summarize(request)
        completion = self.client.chat.completions.create(
            model=self.model,
            max_tokens=300,
            messages=[
                {"role": "system", "content": summaries.SYSTEM_PROMPT},
                {"role": "user", "content": summary_prompt(request)},
            ],
        )
        text = only_message(completion).content or ""
        if not text.strip():
            raise ValueError("the model answered with no text")
        return at_most_three_sentences(text)


class LocalEngine(LocalModel):
    """The local model drafts, one conversation a call (no batches): JSON against the draft's
    schema, or the draft tool where the server has no structured output (remembered)."""

    timeout = 300.0
    structure: Structure = "json_schema"  # until the server shows it has no structured output

    def params(self, request: DraftRequest, structure: Structure) -> dict[str, Any]:
        """The chat completions parameters for one conversation (redacted text only)."""
        answer_by = ANSWER_BY_JSON if structure == "json_schema" else ANSWER_BY_TOOL
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": 2000,
            "messages": [
                {
                    "role": "system",
                    "content": f"{RULES}{answer_by}\n{rubric_prompt(request.rubric)}",
                },
                {"role": "user", "content": draft_prompt(request)},
            ],
        }
        if structure == "json_schema":
            params["response_format"] = json_schema_format(request.rubric)
        else:
            params["tools"] = [function_tool(request.rubric)]
            params["tool_choice"] = {"type": "function", "function": {"name": TOOL_NAME}}
        return params

    def _ask(self, request: DraftRequest, structure: Structure) -> ChatCompletionMessage:
        return only_message(self.client.chat.completions.create(**self.params(request, structure)))

    def _use_tools(self, why: str) -> None:
        if self.structure != "tools":
            log.warning("%s %s: drafting through the draft tool from now on", self.name, why)
        self.structure = "tools"

    def _as_json(self, request: DraftRequest) -> tuple[bool, Any]:
        """(True, the draft) when the server answered json_schema with JSON; (False, None) when
        it refused it or answered without JSON (the tool is used from then on)."""
        try:
            message = self._ask(request, "json_schema")
        except Exception as exc:
            if not refuses_json_schema(exc):
                raise
            self._use_tools("refused response_format json_schema")
            return False, None
        try:
            return True, json.loads(unfenced(message.content or ""))
        except ValueError:
            self._use_tools("answered response_format json_schema without JSON")
            return False, None

    def answer(self, request: DraftRequest) -> Answer:
        """JSON against the schema, or the draft tool (asked again through it, once, when the
        server turns out to have no structured output); checked as Claude's answer is."""
        if self.structure == "json_schema":
            answered, data = self._as_json(request)
            if answered:
                return answer_from_tool(data, request.rubric)
        message = self._ask(request, "tools")
        return answer_from_tool(tool_input(message), request.rubric)

    def answer_many(self, requests: Sequence[DraftRequest]) -> list[Answer]:
        """One call each, in order."""
        return [self.answer(r) for r in requests]
