"""Zendesk Support: legacy CSAT satisfaction ratings, their agents and tickets, and comments."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import httpx

from bot.helpdesks.base import HelpdeskNotFound, RatingRecord, Transcript
from bot.helpdesks.http_client import JSON, HelpdeskHttp, Params, RetryPolicy, Sleep
from bot.helpdesks.text import (
    AGENT,
    CUSTOMER,
    as_utc,
    clean,
    html_to_text,
    maybe_html_to_text,
    parse_iso,
    transcript_text,
)
from bot.settings import Settings, SettingsError

AUTH_HINT = (
    "Zendesk refused the credentials: check DEBRIEF_ZENDESK_EMAIL and DEBRIEF_ZENDESK_TOKEN "
    "(listing satisfaction ratings needs an admin's email)"
)
SCORES = {"good": 5.0, "bad": 1.0}
BATCH = 100  # the most ids a show_many call takes, and the cursor page size
PAGE = {"page[size]": BATCH}

log = logging.getLogger(__name__)


def _next_link(data: JSON) -> str | None:
    """The next page's URL under cursor pagination (meta.has_more) or offset (next_page)."""
    meta = data.get("meta")
    if isinstance(meta, dict) and "has_more" in meta:
        links = data.get("links")
        if meta.get("has_more") and isinstance(links, dict):
            return clean(links.get("next"))
        return None
    return clean(data.get("next_page"))


def _ids(values: Iterable[Any]) -> list[int]:
    """The distinct integer ids among values, sorted."""
    return sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)})


def _batches(ids: list[int]) -> Iterator[str]:
    """Comma-separated id lists of at most BATCH ids."""
    for start in range(0, len(ids), BATCH):
        yield ",".join(str(i) for i in ids[start : start + BATCH])


class ZendeskHelpdesk:
    """Reads ratings and transcripts from one Zendesk account through its REST API."""

    name = "zendesk"
    ordered = False  # the API doesn't promise an order: a failed sync starts over (upserts)

    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        token: str,
        sleep: Sleep = time.sleep,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = HelpdeskHttp(
            vendor="Zendesk",
            base_url=base_url,
            auth_hint=AUTH_HINT,
            auth=(f"{email}/token", token),
            policy=policy,
            sleep=sleep,
            transport=transport,
        )
        self._users: dict[int, JSON] = {}
        self._groups: dict[int, str] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
    ) -> ZendeskHelpdesk:
        """A connector from the DEBRIEF_ZENDESK_* settings; SettingsError names a missing one."""
        if settings.zendesk_base_url:
            base = settings.zendesk_base_url
        elif settings.zendesk_subdomain:
            base = f"https://{settings.zendesk_subdomain}.zendesk.com"
        else:
            raise SettingsError(
                "DEBRIEF_ZENDESK_SUBDOMAIN is not set (or DEBRIEF_ZENDESK_BASE_URL)"
            )
        if not settings.zendesk_email:
            raise SettingsError("DEBRIEF_ZENDESK_EMAIL is not set (an admin's email)")
        if not settings.zendesk_token:
            raise SettingsError(
                "DEBRIEF_ZENDESK_TOKEN is not set (Admin Center > Apps > Zendesk API)"
            )
        return cls(
            base_url=base,
            email=settings.zendesk_email,
            token=settings.zendesk_token,
            sleep=sleep,
            policy=policy,
        )

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        """Every good/bad rating received at or after `since`, with agent, group and ticket data."""
        params: Params = {
            "score": "received",
            "start_time": int(as_utc(since).timestamp()),
            **PAGE,
        }
        for page in self._pages(
            "/api/v2/satisfaction_ratings.json", params, "satisfaction_ratings"
        ):
            yield from self._records(page)

    def transcript(self, external_id: str) -> Transcript:
        """The ticket's public comments as Customer/Agent lines, and its requester."""
        if not external_id.strip().isdigit():
            raise HelpdeskNotFound(f"Zendesk has no ticket {external_id!r}")
        ticket_id = int(external_id)
        try:
            ticket = self._http.get(f"/api/v2/tickets/{ticket_id}.json").get("ticket") or {}
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Zendesk has no ticket {ticket_id}") from None
        path = f"/api/v2/tickets/{ticket_id}/comments.json"
        comments = [c for page in self._pages(path, PAGE, "comments") for c in page]
        requester_id = ticket.get("requester_id")
        self._load_users(_ids([requester_id, *(c.get("author_id") for c in comments)]))
        turns = [
            (self._speaker(c.get("author_id"), requester_id), self._comment_text(c))
            for c in comments
            if c.get("public", True) is not False
        ]
        requester = self._users.get(requester_id, {}) if isinstance(requester_id, int) else {}
        return Transcript(
            text=transcript_text(turns),
            customer_name=clean(requester.get("name")),
            customer_email=clean(requester.get("email")),
        )

    def _pages(self, path: str, params: Params, key: str) -> Iterator[list[JSON]]:
        """Each page's list under `key`, following next links until the last page."""
        data = self._http.get(path, params)
        seen: set[str] = set()
        while True:
            yield [item for item in data.get(key) or [] if isinstance(item, dict)]
            link = _next_link(data)
            if link is None or link in seen:
                return
            seen.add(link)
            data = self._http.get(self._http.relative(link))

    def _records(self, ratings: list[JSON]) -> Iterator[RatingRecord]:
        """RatingRecords for one page of ratings, resolving its users and tickets in batches."""
        rated = [r for r in ratings if SCORES.get(str(r.get("score"))) is not None]
        if not rated:
            return
        self._load_users(_ids(r.get("assignee_id") for r in rated))
        tickets, solved = self._tickets(_ids(r.get("ticket_id") for r in rated))
        for rating in rated:
            record = self._record(rating, tickets, solved)
            if record is not None:
                yield record

    def _record(
        self, rating: JSON, tickets: dict[int, JSON], solved: dict[int, datetime]
    ) -> RatingRecord | None:
        ticket_id = rating.get("ticket_id")
        assignee_id = rating.get("assignee_id")
        agent = self._users.get(assignee_id, {}) if isinstance(assignee_id, int) else {}
        name = clean(agent.get("name"))
        if not isinstance(ticket_id, int) or name is None:
            log.warning("Zendesk rating %s has no ticket or agent; skipped", rating.get("id"))
            return None
        ticket = tickets.get(ticket_id, {})
        closed_at = (
            solved.get(ticket_id)
            or parse_iso(rating.get("created_at"))
            or parse_iso(rating.get("updated_at"))
        )
        if closed_at is None:
            log.warning("Zendesk rating %s has no usable time; skipped", rating.get("id"))
            return None
        group_id = rating.get("group_id") or ticket.get("group_id")
        tags = ticket.get("tags") or []
        return RatingRecord(
            helpdesk=self.name,
            external_id=str(ticket_id),
            agent_name=name,
            agent_email=clean(agent.get("email")),
            closed_at=closed_at,
            csat=SCORES[str(rating.get("score"))],
            queue=self._group_name(group_id),
            tags=tuple(str(t) for t in tags if isinstance(t, str) and t),
        )

    def _load_users(self, ids: list[int]) -> None:
        """Fetch users not yet cached, a hundred a call; unknown ids are cached as empty."""
        missing = [i for i in ids if i not in self._users]
        for batch in _batches(missing):
            data = self._http.get("/api/v2/users/show_many.json", {"ids": batch})
            for user in data.get("users") or []:
                if isinstance(user, dict) and isinstance(user.get("id"), int):
                    self._users[user["id"]] = user
        for i in missing:
            self._users.setdefault(i, {})

    def _tickets(self, ids: list[int]) -> tuple[dict[int, JSON], dict[int, datetime]]:
        """Tickets by id and their solved times (from the metric_sets side-load), in batches."""
        tickets: dict[int, JSON] = {}
        solved: dict[int, datetime] = {}
        for batch in _batches(ids):
            params = {"ids": batch, "include": "metric_sets"}
            data = self._http.get("/api/v2/tickets/show_many.json", params)
            for ticket in data.get("tickets") or []:
                if isinstance(ticket, dict) and isinstance(ticket.get("id"), int):
                    tickets[ticket["id"]] = ticket
            for metrics in data.get("metric_sets") or []:
                when = parse_iso(metrics.get("solved_at")) if isinstance(metrics, dict) else None
                if when is not None and isinstance(metrics.get("ticket_id"), int):
                    solved[metrics["ticket_id"]] = when
        return tickets, solved

    def _group_name(self, group_id: Any) -> str | None:
        """A group's name, reading every group once per connector."""
        if not isinstance(group_id, int):
            return None
        if self._groups is None:
            self._groups = {
                g["id"]: str(g.get("name") or "")
                for page in self._pages("/api/v2/groups.json", PAGE, "groups")
                for g in page
                if isinstance(g.get("id"), int)
            }
        return clean(self._groups.get(group_id))

    def _speaker(self, author_id: Any, requester_id: Any) -> str:
        """Customer for the requester or any end user, Agent otherwise."""
        if author_id == requester_id:
            return CUSTOMER
        author = self._users.get(author_id, {}) if isinstance(author_id, int) else {}
        return CUSTOMER if author.get("role") == "end-user" else AGENT

    @staticmethod
    def _comment_text(comment: JSON) -> str:
        """A comment's text: plain_body, else body, else html_body stripped."""
        for key in ("plain_body", "body"):
            text = comment.get(key)
            if isinstance(text, str) and text.strip():
                return maybe_html_to_text(text)
        html = comment.get("html_body")
        return html_to_text(html) if isinstance(html, str) else ""
