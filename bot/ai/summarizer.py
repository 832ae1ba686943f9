"""One-to-three-sentence summaries of conversations, written by Claude or, offline, by rules."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol

from bot.core.settings import Settings
from bot.core.text import clip

log = logging.getLogger(__name__)

MAX_SUMMARY = 600
OFFLINE_PREFIX = "Offline summary (no AI engine configured)."
SYSTEM_PROMPT = (
    "You summarize customer support conversations for a support team lead who coaches agents. "
    "Write one to three plain sentences: what the customer needed, what the agent did, and how "
    "the conversation ended. Be factual and neutral; do not judge or score the agent. Do not "
    "quote more than one short sentence of the conversation. Never include personal data: the "
    "text has placeholders such as [NAME], [EMAIL], [PHONE], [CARD] and [ADDRESS]; keep them as "
    "placeholders and do not guess what they stand for. Answer with the summary only."
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


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
    sentences = [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]
    summary = " ".join(sentences[:3])
    return clip(summary, MAX_SUMMARY)


def _turns(transcript: str) -> list[tuple[str, str]]:
    turns = []
    for line in transcript.splitlines():
        speaker, sep, said = line.partition(":")
        if sep and speaker.strip().lower() in ("customer", "agent", "bot") and said.strip():
            turns.append((speaker.strip().lower(), said.strip()))
    return turns


_GREETING = re.compile(
    r"^(hi|hello|hey|good (morning|afternoon|evening)|dear|thanks|thank you)\b", re.I
)


def _substantive_sentence(turns: list[str], limit: int = 160) -> str | None:
    """The customer's first sentence that says something (not a greeting or an introduction)."""
    for turn in turns:
        for sentence in _SENTENCE.split(" ".join(turn.split())):
            words = sentence.split()
            if len(words) < 5 or (_GREETING.match(sentence) and len(words) < 8):
                continue
            sentence = sentence.rstrip(".!?")
            return clip(sentence, limit)
    return None


def ticket_facts(*, csat: float | None, queue: str | None, tags: str | None) -> str:
    """`CSAT 2; queue billing; tags refund, late`: a ticket's metadata for a model or a summary."""
    parts = ["no CSAT" if csat is None else f"CSAT {csat:g}"]
    if queue:
        parts.append(f"queue {queue}")
    if tags:
        parts.append("tags " + ", ".join(tags.split(";")[:4]))
    return "; ".join(parts)


def _facts(request: SummaryRequest) -> str:
    return ticket_facts(csat=request.csat, queue=request.queue, tags=request.tags)


class OfflineSummarizer:
    """No model: an honest summary from the transcript's shape and the ticket's metadata."""

    name = "offline"

    def summarize(self, request: SummaryRequest) -> str:
        """Says it is offline; quotes at most one (redacted) sentence of the customer's."""
        if not request.transcript or not request.transcript.strip():
            return f"Offline summary: no transcript was available to summarize ({_facts(request)})."
        turns = _turns(request.transcript)
        customer = [said for who, said in turns if who == "customer"]
        agent_turns = sum(1 for who, _ in turns if who == "agent")
        said = _substantive_sentence(customer)
        end = "" if said and said.endswith("…") else "."
        opening = (
            f"The customer wrote: “{said}{end}”" if said else "No customer turn could be read."
        )
        return at_most_three_sentences(
            f"{OFFLINE_PREFIX} {opening} "
            f"{len(turns)} turns, {agent_turns} from the agent ({_facts(request)})."
        )


class ClaudeSummarizer:
    """Claude through the anthropic SDK: cached system prompt, SDK retries with backoff."""

    def __init__(
        self, *, api_key: str, model: str, timeout: float = 30.0, max_retries: int = 3
    ) -> None:
        import anthropic

        self.client = anthropic.Anthropic(api_key=api_key, timeout=timeout, max_retries=max_retries)
        self.model = model
        self.name = f"claude:{model}"

    def summarize(self, request: SummaryRequest) -> str:
        """Ask Claude; the caller redacts the answer again before storing it."""
        if not request.transcript or not request.transcript.strip():
            return OfflineSummarizer().summarize(request)
        message = self.client.messages.create(
            model=self.model,
            max_tokens=300,
            system=[
                {"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}
            ],
            messages=[
                {
                    "role": "user",
                    "content": (
                        f"Conversation ({request.helpdesk} #{request.external_id}, "
                        f"{_facts(request)}):\n\n{request.transcript}"
                    ),
                }
            ],
        )
        text = " ".join(block.text for block in message.content if block.type == "text")
        if not text.strip():
            raise ValueError("Claude answered with no text")
        return at_most_three_sentences(text)


class FallbackSummarizer:
    """Tries the model; on any failure writes the offline summary and says the model failed."""

    def __init__(self, primary: Summarizer) -> None:
        self.primary = primary
        self.offline = OfflineSummarizer()
        self.name = primary.name

    def summarize(self, request: SummaryRequest) -> str:
        """The model's summary, or an offline one that names the failure."""
        try:
            return self.primary.summarize(request)
        except Exception as exc:  # a summary must still be written for the lead
            log.warning(
                "summary by %s failed for %s: %s", self.primary.name, request.external_id, exc
            )
            fallback = self.offline.summarize(request).removeprefix(
                "Offline summary (no AI engine configured). "
            )
            return at_most_three_sentences(
                f"Offline summary (the AI engine failed: {type(exc).__name__}). {fallback}"
            )


def summarizer_for(settings: Settings) -> Summarizer:
    """Claude when ANTHROPIC_API_KEY is set, otherwise the offline engine."""
    if settings.anthropic_api_key:
        return FallbackSummarizer(
            ClaudeSummarizer(api_key=settings.anthropic_api_key, model=settings.model)
        )
    return OfflineSummarizer()
