"""The composition root builds each service once per process, and only when it is asked for."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

import bot.app.services as services_module
from bot.app.services import Services
from bot.core.settings import Settings, SettingsError


def test_each_service_is_built_once_and_notifiers_share_the_one_client(settings: Settings):
    services = Services(settings)
    assert services.summarizer is services.summarizer
    assert services.qa_engine is services.qa_engine
    client = services.slack
    assert services.flag_notifier is services.flag_notifier
    for notifier in (services.flag_notifier, services.draft_notifier, services.digest_notifier,
                     services.reminder_notifier):  # fmt: skip
        assert notifier.client is client


def test_threads_asking_at_once_build_one_client(settings: Settings, monkeypatch):
    # The first build waits for a second one to start; without the lock a second thread
    # would enter and set `second` at once, so the count says whether the lock held.
    second, built = threading.Event(), []

    def slow_client(config: Settings, token: str) -> object:
        built.append(token)
        if len(built) == 1:
            second.wait(0.5)
        else:
            second.set()
        return object()

    monkeypatch.setattr(services_module, "slack_client", slow_client)
    services = Services(settings)
    seen: list[object] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        seen.append(services.reminder_notifier.client)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and not second.is_set()
    assert len(seen) == 8 and all(client is seen[0] for client in seen)


def test_a_command_without_slack_needs_no_token_until_it_asks_for_slack(db: str):
    services = Services(Settings(DATABASE_URL=db, SLACK_BOT_TOKEN=None))
    with services.sessions() as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    assert services.summarizer.name == "offline"  # no ANTHROPIC_API_KEY
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is not set"):
        _ = services.flag_notifier
