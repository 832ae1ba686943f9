"""Which engines a Settings gives, decided in this one place: a local model on an
OpenAI-compatible endpoint when DEBRIEF_LLM_BASE_URL is set (the data stays home, even when
ANTHROPIC_API_KEY is set too), else Claude when ANTHROPIC_API_KEY is set, each with the offline
fallback; otherwise the offline engines, which say so."""

from __future__ import annotations

from typing import Any

from bot.ai.claude import ClaudeEngine, ClaudeSummarizer
from bot.ai.fallback import FallbackEngine, FallbackSummarizer
from bot.ai.local import LocalEngine, LocalSummarizer
from bot.ai.offline import OfflineEngine, OfflineSummarizer
from bot.ai.qa_drafts import QaEngine
from bot.ai.summaries import Summarizer
from bot.core.settings import Settings, SettingsError


def local_endpoint(settings: Settings) -> dict[str, Any]:
    """The local model's base URL, model and key (settings read from the environment checked
    that the model is set)."""
    if not settings.llm_model:
        raise SettingsError("DEBRIEF_LLM_MODEL: must be set when DEBRIEF_LLM_BASE_URL is")
    return {
        "base_url": settings.llm_base_url,
        "model": settings.llm_model,
        "api_key": settings.llm_api_key,
    }


def summarizer_for(settings: Settings) -> Summarizer:
    """The local model when DEBRIEF_LLM_BASE_URL is set, else Claude when ANTHROPIC_API_KEY is
    set (each with the offline fallback), otherwise the offline engine."""
    if settings.llm_base_url:
        return FallbackSummarizer(LocalSummarizer(**local_endpoint(settings)))
    if settings.anthropic_api_key:
        return FallbackSummarizer(
            ClaudeSummarizer(api_key=settings.anthropic_api_key, model=settings.model)
        )
    return OfflineSummarizer()


def engine_for(settings: Settings) -> QaEngine:
    """The local model when DEBRIEF_LLM_BASE_URL is set, else Claude when ANTHROPIC_API_KEY is
    set (each with the offline fallback), otherwise the offline engine."""
    if settings.llm_base_url:
        return FallbackEngine(LocalEngine(**local_endpoint(settings)))
    if settings.anthropic_api_key:
        return FallbackEngine(
            ClaudeEngine(
                api_key=settings.anthropic_api_key,
                model=settings.model,
                batch_min=settings.qa_batch_min,
            )
        )
    return OfflineEngine()
