"""What connectors share beyond HTTP: an account's base URL from the settings, a directory of
users read once, and releasing their connections."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from bot.core.settings import SettingsError
from bot.ingest.helpdesks.base import HelpdeskNotFound
from bot.ingest.helpdesks.http_client import JSON, HelpdeskHttp

Key = TypeVar("Key", bound=Hashable)


def account_base_url(
    base_url: str | None, account: str | None, *, host: str, variable: str, base_variable: str
) -> str:
    """The explicit base URL (Settings has checked it), else https://{account}.{host}; a
    SettingsError naming `variable` when neither is set."""
    if base_url:
        return base_url
    if account:
        return f"https://{account}.{host}"
    raise SettingsError(f"{variable} is not set (or {base_variable})")


class Directory(Generic[Key]):
    """Objects by id (agents, users, teammates): every one listed on first use, one the list
    lacks fetched alone, and one that is gone (404) remembered as {}."""

    def __init__(
        self,
        list_all: Callable[[], Iterable[tuple[Key, JSON]]],
        fetch_one: Callable[[Key], JSON],
    ) -> None:
        self._list_all = list_all
        self._fetch_one = fetch_one
        self._found: dict[Key, JSON] | None = None

    def get(self, key: Key | None) -> JSON:
        """The object with this id, else {}."""
        if key is None:
            return {}
        if self._found is None:
            self._found = dict(self._list_all())
        if key not in self._found:
            try:
                self._found[key] = self._fetch_one(key)
            except HelpdeskNotFound:
                self._found[key] = {}
        return self._found[key]


class HttpConnector:
    """A connector that reaches its helpdesk through one HelpdeskHttp, `self._http`."""

    _http: HelpdeskHttp

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()
