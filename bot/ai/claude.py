"""Claude through the anthropic SDK: one way to build its client (SDK timeouts, retries with
backoff), the summary engine (a cached system prompt) and the QA engine (tool use for
structure, the rubric in a cached system prompt, Message Batches for bulk runs). Both send only
the redacted transcript and the ticket's metadata."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from bot.ai import qa_drafts, summaries
from bot.ai.offline import OfflineSummarizer
from bot.ai.qa_drafts import (
    TOOL_NAME,
    answer_from_content,
    draft_prompt,
    draft_tool,
    rubric_prompt,
)
from bot.ai.summaries import SummaryRequest, at_most_three_sentences, summary_prompt
from bot.qa.draft import Answer, DraftRequest

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import TextBlockParam

MAX_RETRIES = 3


def client(*, api_key: str, timeout: float, max_retries: int = MAX_RETRIES) -> anthropic.Anthropic:
    """The SDK client: it times out after `timeout` seconds and retries with backoff."""
    import anthropic

    return anthropic.Anthropic(api_key=api_key, timeout=timeout, max_retries=max_retries)


def cached(text: str) -> TextBlockParam:
    """A system prompt block Claude may cache (the prompt caching of repeated prefixes)."""
    return {"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}


class ClaudeSummarizer:
    """Claude through the anthropic SDK: cached system prompt, SDK retries with backoff."""

    def __init__(
        self, *, api_key: str, model: str, timeout: float = 30.0, max_retries: int = MAX_RETRIES
    ) -> None:
        self.client = client(api_key=api_key, timeout=timeout, max_retries=max_retries)
        self.model = model
        self.name = f"claude:{model}"

    def summarize(self, request: SummaryRequest) -> str:
        """Ask Claude; the caller redacts the answer again before storing it."""
        if not request.transcript or not request.transcript.strip():
            return OfflineSummarizer().summarize(request)
        message = self.client.messages.create(
            model=self.model,
            max_tokens=300,
            system=[cached(summaries.SYSTEM_PROMPT)],
            messages=[{"role": "user", "content": summary_prompt(request)}],
        )
        text = " ".join(block.text for block in message.content if block.type == "text")
        if not text.strip():
            raise ValueError("Claude answered with no text")
        return at_most_three_sentences(text)


class ClaudeEngine:
    """Claude through the anthropic SDK: tool use for structure, the rubric in a cached system
    prompt, SDK timeouts and retries with backoff, and the Message Batches API for bulk runs."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        timeout: float = 60.0,
        max_retries: int = MAX_RETRIES,
        poll_seconds: float = 30.0,
        max_wait_seconds: float = 24 * 3600.0,
        batch_min: int = 50,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client(api_key=api_key, timeout=timeout, max_retries=max_retries)
        self.model = model
        self.name = f"claude:{model}"
        self.poll_seconds = poll_seconds
        self.max_wait_seconds = max_wait_seconds
        self.batch_min = batch_min
        self.sleep = sleep

    def params(self, request: DraftRequest) -> dict[str, Any]:
        """The Messages API parameters for one conversation (redacted text only)."""
        return {
            "model": self.model,
            "max_tokens": 2000,
            "system": [
                {"type": "text", "text": qa_drafts.SYSTEM_PROMPT},
                cached(rubric_prompt(request.rubric)),
            ],
            "tools": [draft_tool(request.rubric)],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "messages": [{"role": "user", "content": draft_prompt(request)}],
        }

    def answer(self, request: DraftRequest) -> Answer:
        """One Messages API call, forced to answer with the draft tool."""
        message = self.client.messages.create(**self.params(request))
        return answer_from_content(message.content, request.rubric)

    def answer_many(self, requests: Sequence[DraftRequest]) -> list[Answer]:
        """One call each (see `answer_batch` for the bulk path)."""
        return [self.answer(r) for r in requests]

    def answer_batch(self, requests: Sequence[DraftRequest]) -> list[Answer | Exception]:
        """All requests as one Message Batch: create, poll until it ends, read the results.

        A request that errored, expired or was canceled is an Exception in its place."""
        if not requests:
            return []
        ids = {f"qa-{i}": i for i in range(len(requests))}
        batch = self.client.messages.batches.create(
            requests=cast(
                Any,
                [{"custom_id": cid, "params": self.params(requests[i])} for cid, i in ids.items()],
            )
        )
        waited = 0.0
        while batch.processing_status != "ended":
            if waited >= self.max_wait_seconds:
                raise TimeoutError(f"batch {batch.id} did not end within {waited:.0f}s")
            self.sleep(self.poll_seconds)
            waited += self.poll_seconds
            batch = self.client.messages.batches.retrieve(batch.id)
        out: list[Answer | Exception] = [
            RuntimeError("the batch returned no result for it") for _ in requests
        ]
        for item in self.client.messages.batches.results(batch.id):
            index = ids.get(item.custom_id)
            if index is None:
                continue
            result = item.result
            if result.type == "succeeded":
                try:
                    out[index] = answer_from_content(result.message.content, requests[index].rubric)
                except ValueError as exc:
                    out[index] = exc
            elif result.type == "errored":
                out[index] = RuntimeError(f"the batch request errored ({result.error.error.type})")
            else:
                out[index] = RuntimeError(f"the batch request {result.type}")
        return out
