"""Which engines a Settings gives, decided in this one place: Claude, with the offline fallback,
when ANTHROPIC_API_KEY is set; otherwise the offline engines, which say so."""

from __future__ import annotations

from bot.ai.claude import ClaudeEngine, ClaudeSummarizer
from bot.ai.fallback import FallbackEngine, FallbackSummarizer
from bot.ai.offline import OfflineEngine, OfflineSummarizer
from bot.ai.qa_drafts import QaEngine
from bot.ai.summaries import Summarizer
from bot.core.settings import Settings


def summarizer_for(settings: Settings) -> Summarizer:
    """Claude when ANTHROPIC_API_KEY is set, otherwise the offline engine."""
    if settings.anthropic_api_key:
        return FallbackSummarizer(
            ClaudeSummarizer(api_key=settings.anthropic_api_key, model=settings.model)
        )
    return OfflineSummarizer()


def engine_for(settings: Settings) -> QaEngine:
    """Claude (with the offline fallback) when ANTHROPIC_API_KEY is set, else offline."""
    if settings.anthropic_api_key:
        return FallbackEngine(
            ClaudeEngine(
                api_key=settings.anthropic_api_key,
                model=settings.model,
                batch_min=settings.qa_batch_min,
            )
        )
    return OfflineEngine()
