"""The fallback: try the model; on any failure the offline engine writes instead, saying the
model failed and why, so a summary or a draft still reaches the lead."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from bot.ai.offline import OFFLINE_PREFIX, OfflineEngine, OfflineSummarizer
from bot.ai.qa_drafts import BatchingEngine, QaEngine, clip_line
from bot.ai.summaries import Summarizer, SummaryRequest, at_most_three_sentences
from bot.qa.draft import MAX_SUMMARY, Answer, DraftRequest

# the names these log lines had before the one engine stack in bot/ai/
summary_log = logging.getLogger("bot.ai.summarizer")
qa_log = logging.getLogger("bot.qa.engines")

FALLBACK_CONFIDENCE = 0.3


def failure(exc: BaseException) -> str:
    """How a failed call is named on what the offline engine writes instead."""
    return f"the AI engine failed: {type(exc).__name__}"


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
            summary_log.warning(
                "summary by %s failed for %s: %s", self.primary.name, request.external_id, exc
            )
            fallback = self.offline.summarize(request).removeprefix(f"{OFFLINE_PREFIX} ")
            return at_most_three_sentences(f"Offline summary ({failure(exc)}). {fallback}")


class FallbackEngine:
    """Tries the model; on any failure writes the offline draft, low confidence, saying why.
    An engine with batches (Claude) drafts big runs as one batch; any other drafts one by one."""

    def __init__(self, primary: QaEngine, *, batch_min: int | None = None) -> None:
        self.primary = primary
        self.offline = OfflineEngine()
        self.name = primary.name
        self.batching = primary if isinstance(primary, BatchingEngine) else None
        default = self.batching.batch_min if self.batching is not None else 0
        self.batch_min = default if batch_min is None else batch_min

    def fallback(self, request: DraftRequest, exc: BaseException) -> Answer:
        """The offline draft, marked as a fallback with the reason."""
        qa_log.warning("QA draft by %s failed for %s: %s", self.name, request.key, exc)
        reason = failure(exc)
        offline = self.offline.answer(request, why=reason)
        return replace(
            offline,
            summary=clip_line(offline.summary, MAX_SUMMARY),
            confidence=min(offline.confidence, FALLBACK_CONFIDENCE),
            always_review=True,
            note=clip_line(f"{reason}: {exc}", 500),
            engine=f"offline (fallback from {self.name})"[:64],
        )

    def answer(self, request: DraftRequest) -> Answer:
        """The model's draft, or the offline one with the reason."""
        try:
            return self.primary.answer(request)
        except Exception as exc:  # a draft must still reach the lead
            return self.fallback(request, exc)

    def answer_many(self, requests: Sequence[DraftRequest]) -> list[Answer]:
        """A batch when the engine has them and there are at least `batch_min` requests, else
        one call each."""
        if self.batching is not None and self.batch_min and len(requests) >= self.batch_min:
            try:
                results = self.batching.answer_batch(requests)
            except Exception as exc:  # the whole batch failed: every draft falls back
                return [self.fallback(r, exc) for r in requests]
            return [
                self.fallback(r, res) if isinstance(res, Exception) else res
                for r, res in zip(requests, results, strict=True)
            ]
        return [self.answer(r) for r in requests]
