"""Intercom: rated conversations via the search API, teammates, teams and conversation parts."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from bot.core.settings import Settings, SettingsError
from bot.ingest.helpdesks.base import HelpdeskNotFound, RatingRecord, Transcript
from bot.ingest.helpdesks.connector import Directory, HttpConnector
from bot.ingest.helpdesks.http_client import JSON, HelpdeskHttp, RetryPolicy, Sleep
from bot.ingest.helpdesks.text import (
    AGENT,
    BOT,
    CUSTOMER,
    as_object,
    as_utc,
    clean,
    from_epoch,
    html_to_text,
    transcript_text,
)

DEFAULT_BASE_URL = "https://api.intercom.io"
API_VERSION = "2.11"
AUTH_HINT = "Intercom refused the credentials: check DEBRIEF_INTERCOM_TOKEN"
PER_PAGE = 150  # the search API's largest page
CUSTOMER_TYPES = frozenset({"user", "lead", "contact"})
SPEAKERS = {"admin": AGENT, "team": AGENT, "bot": BOT}

log = logging.getLogger("bot.helpdesks.intercom")  # its name before bot/ingest/


def _id(value: Any) -> str | None:
    """An Intercom id (string or integer) as a string, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _items(value: Any, key: str) -> list[JSON]:
    """The objects of a list, or of a `{"type": "x.list", key: [...]}` wrapper."""
    items = value.get(key) if isinstance(value, dict) else value
    return [item for item in items or [] if isinstance(item, dict)]


def _speaker(author: JSON) -> str:
    """Customer for users, leads and contacts; Agent for teammates; Bot for bots."""
    kind = str(author.get("type") or "")
    return CUSTOMER if kind in CUSTOMER_TYPES else SPEAKERS.get(kind, AGENT)


def _next_cursor(data: JSON) -> str | None:
    """The search API's `pages.next.starting_after`, when there is a next page."""
    return clean(as_object(as_object(data.get("pages")).get("next")).get("starting_after"))


class IntercomHelpdesk(HttpConnector):
    """Reads rated conversations and transcripts from one Intercom workspace."""

    name = "intercom"
    ordered = False  # the API doesn't promise an order: a failed sync starts over (upserts)

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = HelpdeskHttp(
            vendor="Intercom",
            base_url=base_url,
            auth_hint=AUTH_HINT,
            headers={"Authorization": f"Bearer {token}", "Intercom-Version": API_VERSION},
            policy=policy,
            sleep=sleep,
            clock=clock,  # a 429's X-RateLimit-Reset is a Unix time
            transport=transport,
        )
        self._admins = Directory[str](self._list_admins, self._fetch_admin)
        self._teams: dict[str, str] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
    ) -> IntercomHelpdesk:
        """A connector from the DEBRIEF_INTERCOM_* settings; SettingsError when the token is unset."""
        if not settings.intercom_token:
            raise SettingsError("DEBRIEF_INTERCOM_TOKEN is not set (an Intercom access token)")
        return cls(
            token=settings.intercom_token,
            base_url=settings.intercom_base_url or DEFAULT_BASE_URL,
            sleep=sleep,
            policy=policy,
        )

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        """Every conversation rated at or after `since`, with its teammate, team and tags."""
        start = int(as_utc(since).timestamp())
        query = {"field": "conversation_rating.replied_at", "operator": ">", "value": start - 1}
        pagination: JSON = {"per_page": PER_PAGE}
        seen: set[str] = set()
        while True:
            data = self._http.post(
                "/conversations/search", {"query": query, "pagination": pagination}
            )
            for conversation in _items(data, "conversations"):
                record = self._record(conversation)
                if record is not None:
                    yield record
            cursor = _next_cursor(data)
            if cursor is None or cursor in seen:
                return
            seen.add(cursor)
            pagination = {"per_page": PER_PAGE, "starting_after": cursor}

    def transcript(self, external_id: str) -> Transcript:
        """The conversation's opening message and replies (notes left out) and its contact."""
        if not external_id.strip():
            raise HelpdeskNotFound("Intercom has no conversation ''")
        try:
            conversation = self._http.get(f"/conversations/{quote(external_id.strip(), safe='')}")
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Intercom has no conversation {external_id}") from None
        source = as_object(conversation.get("source"))
        turns = [(_speaker(as_object(source.get("author"))), str(source.get("body") or ""))]
        for part in _items(conversation.get("conversation_parts"), "conversation_parts"):
            body = part.get("body")
            if isinstance(body, str) and "note" not in str(part.get("part_type") or ""):
                turns.append((_speaker(as_object(part.get("author"))), body))
        name, email = self._customer(conversation)
        return Transcript(
            text=transcript_text((who, html_to_text(body)) for who, body in turns),
            customer_name=name,
            customer_email=email,
        )

    def assignee(self, external_id: str) -> tuple[str, str | None] | None:
        """The conversation's assigned teammate as (name, email); None when nobody is."""
        if not external_id.strip():
            raise HelpdeskNotFound("Intercom has no conversation ''")
        try:
            conversation = self._http.get(f"/conversations/{quote(external_id.strip(), safe='')}")
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Intercom has no conversation {external_id}") from None
        assigned = _id(conversation.get("admin_assignee_id"))
        if assigned in (None, "0"):
            return None
        admin = self._admins.get(assigned)
        name = clean(admin.get("name"))
        return (name, clean(admin.get("email"))) if name else None

    def _record(self, conversation: JSON) -> RatingRecord | None:
        """A RatingRecord for a rated conversation, or None when it has no rating or teammate."""
        rating = as_object(conversation.get("conversation_rating"))
        score = rating.get("rating")
        conversation_id = _id(conversation.get("id"))
        if not isinstance(score, int | float) or not 1 <= score <= 5 or conversation_id is None:
            return None
        teammate_id = _id(as_object(rating.get("teammate")).get("id")) or _id(
            conversation.get("admin_assignee_id")
        )
        admin = self._admins.get(teammate_id)
        name = clean(admin.get("name"))
        statistics = as_object(conversation.get("statistics"))
        closed_at = from_epoch(statistics.get("last_close_at")) or from_epoch(
            conversation.get("updated_at")
        )
        if name is None or closed_at is None:
            log.warning(
                "Intercom conversation %s has no teammate or time; skipped", conversation_id
            )
            return None
        tags = _items(conversation.get("tags"), "tags")
        return RatingRecord(
            helpdesk=self.name,
            external_id=conversation_id,
            agent_name=name,
            agent_email=clean(admin.get("email")),
            closed_at=closed_at,
            csat=float(score),
            queue=self._team_name(_id(conversation.get("team_assignee_id"))),
            tags=tuple(str(t["name"]) for t in tags if clean(t.get("name"))),
        )

    def _list_admins(self) -> Iterator[tuple[str, JSON]]:
        """Every teammate (GET /admins), read once (see Directory)."""
        listed = _items(self._http.get("/admins"), "admins")
        return ((str(a["id"]), a) for a in listed if _id(a.get("id")))

    def _fetch_admin(self, admin_id: str) -> JSON:
        return self._http.get(f"/admins/{quote(admin_id, safe='')}")

    def _team_name(self, team_id: str | None) -> str | None:
        """A team's name, reading every team once per connector."""
        if team_id is None or team_id == "0":
            return None
        if self._teams is None:
            teams = _items(self._http.get("/teams"), "teams")
            self._teams = {
                str(t["id"]): str(t.get("name") or "") for t in teams if _id(t.get("id"))
            }
        return clean(self._teams.get(team_id))

    def _customer(self, conversation: JSON) -> tuple[str | None, str | None]:
        """The customer's name and email: from the source author, else from GET /contacts/{id}."""
        author = as_object(as_object(conversation.get("source")).get("author"))
        name = email = None
        if str(author.get("type") or "") in CUSTOMER_TYPES:
            name, email = clean(author.get("name")), clean(author.get("email"))
        contacts = _items(conversation.get("contacts"), "contacts")
        contact_id = _id(contacts[0].get("id")) if contacts else None
        if (name is None or email is None) and contact_id is not None:
            try:
                contact = self._http.get(f"/contacts/{quote(contact_id, safe='')}")
            except HelpdeskNotFound:
                contact = {}
            name = name or clean(contact.get("name"))
            email = email or clean(contact.get("email"))
        return name, email
