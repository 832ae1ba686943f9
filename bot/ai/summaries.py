"""What a conversation summary is: one to three sentences, the request an engine writes it from,
the contract every summary engine keeps, and the prompt a model is given."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.core.text import clip

if TYPE_CHECKING:
    from bot.qa.draft import DraftRequest

MAX_SUMMARY = 600
SYSTEM_PROMPT = (
    "You summarize customer support conversations for a support team lead who coaches agents. "
    "Write one to three plain sentences: what the customer needed, what the agent did, and how "
    "the conversation ended. Be factual and neutral; do not judge or score the agent. Do not "
    "quote more than one short sentence of the conversation. Never include personal data: the "
    "text has placeholders such as [NAME], [EMAIL], [PHONE], [CARD] and [ADDRESS]; keep them as "
    "placeholders and do not guess what they stand for. Answer with the summary only."
)
SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class SummaryRequest:
    """A conversation to summarize: its redacted transcript (if any) and its metadata."""

    helpdesk: str
    external_id: str
    csat: float | None
    queue: str | None
    tags: str | None
    transcript: str | None


class Summarizer(Protocol):
    """Writes a summary; `name` is recorded on every sample it writes."""

    name: str

    def summarize(self, request: SummaryRequest) -> str:
        """One to three sentences about the conversation."""
        ...


def at_most_three_sentences(text: str) -> str:
    """The first three sentences of `text`, on one line, within the stored length."""
    sentences = [s.strip() for s in SENTENCE.split(" ".join(text.split())) if s.strip()]
    summary = " ".join(sentences[:3])
    return clip(summary, MAX_SUMMARY)


def ticket_facts(*, csat: float | None, queue: str | None, tags: str | None) -> str:
    """`CSAT 2; queue billing; tags refund, late`: a ticket's metadata for a model or a summary."""
    parts = ["no CSAT" if csat is None else f"CSAT {csat:g}"]
    if queue:
        parts.append(f"queue {queue}")
    if tags:
        parts.append("tags " + ", ".join(tags.split(";")[:4]))
    return "; ".join(parts)


def request_facts(request: SummaryRequest | DraftRequest) -> str:
    """The `ticket_facts` of a conversation to summarize or to draft."""
    return ticket_facts(csat=request.csat, queue=request.queue, tags=request.tags)


def summary_prompt(request: SummaryRequest) -> str:
    """What a model is asked to summarize: the metadata and the redacted transcript only."""
    return (
        f"Conversation ({request.helpdesk} #{request.external_id}, "
        f"{request_facts(request)}):\n\n{request.transcript}"
    )
