"""What the connectors share: an account's base URL from the settings, and a Directory."""

from __future__ import annotations

import pytest

from bot.core.settings import SettingsError
from bot.ingest.helpdesks.base import HelpdeskNotFound
from bot.ingest.helpdesks.connector import Directory, account_base_url
from bot.ingest.helpdesks.http_client import JSON

NAMES = {"variable": "DEBRIEF_X_DOMAIN", "base_variable": "DEBRIEF_X_BASE_URL", "host": "x.com"}


def test_the_base_url_wins_over_the_account_and_neither_names_the_variable():
    assert account_base_url("http://127.0.0.1:9", "acme", **NAMES) == "http://127.0.0.1:9"
    assert account_base_url(None, "acme", **NAMES) == "https://acme.x.com"
    with pytest.raises(SettingsError) as caught:
        account_base_url(None, "", **NAMES)
    assert str(caught.value) == "DEBRIEF_X_DOMAIN is not set (or DEBRIEF_X_BASE_URL)"


def test_a_directory_lists_once_fetches_the_rest_alone_and_remembers_the_gone():
    calls: list[object] = []

    def list_all() -> list[tuple[int, JSON]]:
        calls.append("list")
        return [(1, {"name": "Ann"})]

    def fetch_one(key: int) -> JSON:
        calls.append(key)
        if key == 3:
            raise HelpdeskNotFound("gone")
        return {"name": f"#{key}"}

    people = Directory[int](list_all, fetch_one)
    assert people.get(None) == {} and calls == []  # nothing read for no id
    assert people.get(1) == {"name": "Ann"}
    assert people.get(2) == {"name": "#2"} and people.get(2) == {"name": "#2"}
    assert people.get(3) == {} and people.get(3) == {}
    assert calls == ["list", 2, 3]
