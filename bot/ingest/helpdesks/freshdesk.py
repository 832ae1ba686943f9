"""Freshdesk: satisfaction ratings from surveys, their agents and groups, and ticket conversations.

Reads (API v2, https://developers.freshdesk.com/api/):
- `GET /api/v2/surveys/satisfaction_ratings?created_since=...`: the ratings, a JSON array;
- `GET /api/v2/surveys`: each survey's questions and their `accepted_ratings` (the scale);
- `GET /api/v2/agents` (and `/api/v2/agents/{id}` for one not listed): name and email under
  `contact`;
- `GET /api/v2/groups`: group names, the queue;
- for a transcript, `GET /api/v2/tickets/{id}?include=requester` and
  `GET /api/v2/tickets/{id}/conversations`.

Authentication is HTTP Basic with the API key as the user name and `X` as the password. Lists
are paged with `page` and `per_page` (at most 100); the `link` header names the next page and is
absent on the last. Over the account's per-minute limit Freshdesk answers 429 with
`Retry-After` (seconds), which HelpdeskHttp waits out.

Rating scale. A rating's `ratings` object holds each question's answer; `default_question` is
the survey's CSAT question (other questions are custom ones and are not read). Freshdesk answers
on a symmetric scale of its own: 103 is the happiest answer on every scale and -103 the least
happy, 100 is neutral, and the steps between are 102/101 and -101/-102 (3-point: 103, 100,
-103; 5-point: 103, 102, 100, -102, -103; 7-point: 103, 102, 101, 100, -101, -102, -103). The
survey's `accepted_ratings` say which values its scale has; a value's place among them is spread
evenly onto 1-5: the lowest is 1, the highest 5, the middle 3 (so 3-point: 5/3/1; 5-point:
5/4/3/2/1; 7-point: 5, 4.33, 3.67, 3, 2.33, 1.67, 1). When the survey can't be read (deleted
since), the 7-point reading of the value is used, which is exact for 103, 100 and -103. A rating
without a default-question answer (a comment-only response) is no CSAT and is skipped with a log
line.

Order. The API documents neither an order for the ratings list nor a sort parameter, so the
connector reads the whole window's pages, keeping a few fields a rating, sorts them by
`created_at` (then id) and only then yields: `ordered` holds whatever order Freshdesk pages in.
The window is bounded: since the last good sync less a day, or the first sync's 16 weeks.

Not read during a sync: the ticket itself. Freshdesk has no call that returns many tickets by
id, so tags and the resolved time would cost a call per rating against the account-wide limit the
helpdesk's other integrations share; `closed_at` is the rating's time and the queue comes from
the rating's group.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bot.core.settings import Settings, SettingsError
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskError,
    HelpdeskNotFound,
    RatingRecord,
    Transcript,
    is_number,
)
from bot.ingest.helpdesks.connector import Directory, HttpConnector, account_base_url
from bot.ingest.helpdesks.http_client import JSON, HelpdeskHttp, Params, RetryPolicy, Sleep
from bot.ingest.helpdesks.text import (
    AGENT,
    CUSTOMER,
    as_int,
    as_object,
    as_utc,
    clean,
    html_to_text,
    parse_iso,
    transcript_text,
)

AUTH_HINT = (
    "Freshdesk refused the credentials: check DEBRIEF_FRESHDESK_API_KEY "
    "(Profile settings > Your API Key) and DEBRIEF_FRESHDESK_DOMAIN"
)
PER_PAGE = 100  # the most Freshdesk's lists return a page
DEFAULT_QUESTION = "default_question"
SEVEN_POINT = (-103, -102, -101, 100, 101, 102, 103)
RATINGS_PATH = "/api/v2/surveys/satisfaction_ratings"
ITEMS = "items"  # where a JSON array answer is kept (see _FreshdeskHttp)
NEXT = "next"

log = logging.getLogger("bot.helpdesks.freshdesk")  # its name before bot/ingest/


def _iso(moment: datetime) -> str:
    """Freshdesk's UTC timestamp format, to the second (rounded down, so `since` is included)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def csat_from(value: Any, scale: tuple[int, ...] | None) -> float | None:
    """A Freshdesk rating value on 1-5, by its place among the scale's values; None when the
    value is not a rating (see the module docstring)."""
    rating = as_int(value)
    if rating is None:
        return None
    values = sorted(set(scale)) if scale and rating in scale else list(SEVEN_POINT)
    if rating not in values or len(values) < 2:
        return None
    return round(1 + 4 * values.index(rating) / (len(values) - 1), 2)


@dataclass(frozen=True)
class _Rated:
    """The few fields of one rating the sync needs, kept until the window is sorted."""

    rating_id: int
    ticket_id: int
    agent_id: int | None
    group_id: int | None
    rated_at: datetime
    csat: float


class _FreshdeskHttp(HelpdeskHttp):
    """HelpdeskHttp for an API whose lists are JSON arrays paged by the `link` header: an array
    answer comes back as {"items": [...], "next": <the link header's next URL or None>}."""

    def _json(self, response: httpx.Response, where: str) -> JSON:
        if response.status_code < 300:
            try:
                data = response.json()
            except ValueError:
                data = None
            if isinstance(data, list):
                link = response.links.get("next", {}).get("url")
                return {ITEMS: data, NEXT: link}
        return super()._json(response, where)


class FreshdeskHelpdesk(HttpConnector):
    """Reads ratings and transcripts from one Freshdesk account through its REST API (v2)."""

    name = "freshdesk"
    ordered = True  # the window is sorted by rating time before anything is yielded

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        sleep: Sleep = time.sleep,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = _FreshdeskHttp(
            vendor="Freshdesk",
            base_url=base_url,
            auth_hint=AUTH_HINT,
            auth=(api_key, "X"),
            policy=policy,
            sleep=sleep,
            transport=transport,
        )
        self._agents = Directory[int](self._list_agents, self._fetch_agent)
        self._groups: dict[int, str] | None = None
        self._scales: dict[int, tuple[int, ...]] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
    ) -> FreshdeskHelpdesk:
        """A connector from the DEBRIEF_FRESHDESK_* settings; SettingsError names a missing one."""
        base = account_base_url(
            settings.freshdesk_base_url,
            settings.freshdesk_domain,
            host="freshdesk.com",
            variable="DEBRIEF_FRESHDESK_DOMAIN",
            base_variable="DEBRIEF_FRESHDESK_BASE_URL",
        )
        if not settings.freshdesk_api_key:
            raise SettingsError(
                "DEBRIEF_FRESHDESK_API_KEY is not set (Profile settings > Your API Key)"
            )
        return cls(base_url=base, api_key=settings.freshdesk_api_key, sleep=sleep, policy=policy)

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        """Every CSAT rating created at or after `since`, oldest first, with agent and group."""
        params: Params = {"created_since": _iso(since), "per_page": PER_PAGE}
        rated = [
            found
            for page in self._pages(RATINGS_PATH, params)
            for rating in page
            if (found := self._rated(rating)) is not None
        ]
        rated.sort(key=lambda r: (r.rated_at, r.rating_id))
        for row in rated:
            record = self._record(row)
            if record is not None:
                yield record

    def transcript(self, external_id: str) -> Transcript:
        """The ticket's description and public conversations as Customer/Agent lines (private
        notes left out), and its requester."""
        if not is_number(external_id.strip()):
            raise HelpdeskNotFound(f"Freshdesk has no ticket {external_id!r}")
        ticket_id = int(external_id)
        try:
            ticket = self._http.get(f"/api/v2/tickets/{ticket_id}", {"include": "requester"})
            path = f"/api/v2/tickets/{ticket_id}/conversations"
            conversations = [c for page in self._pages(path, {"per_page": PER_PAGE}) for c in page]
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Freshdesk has no ticket {ticket_id}") from None
        requester = as_object(ticket.get("requester"))
        requester_id = as_int(ticket.get("requester_id")) or as_int(requester.get("id"))
        description = clean(ticket.get("description_text")) or html_to_text(
            str(ticket.get("description") or "")
        )
        turns = [(CUSTOMER, description)]
        for conversation in conversations:
            if conversation.get("private") is not False:
                continue  # a private note, or a part that doesn't say it is public
            author = as_int(conversation.get("user_id"))
            incoming = conversation.get("incoming") is True
            speaker = CUSTOMER if incoming or author == requester_id else AGENT
            turns.append((speaker, self._body(conversation)))
        return Transcript(
            text=transcript_text(turns),
            customer_name=clean(requester.get("name")),
            customer_email=clean(requester.get("email")),
        )

    def _pages(self, path: str, params: Params) -> Iterator[list[JSON]]:
        """Each page's objects, following the `link` header's next URL until there is none."""
        for data in self._http.follow(path, params, lambda page: clean(page.get(NEXT))):
            items = data.get(ITEMS)
            if not isinstance(items, list):
                raise HelpdeskError(f"Freshdesk answered GET {path} with unexpected JSON")
            yield [item for item in items if isinstance(item, dict)]

    def _rated(self, rating: JSON) -> _Rated | None:
        """The fields kept of a rating with a CSAT answer, else None (logged)."""
        rating_id, ticket_id = as_int(rating.get("id")), as_int(rating.get("ticket_id"))
        answers = as_object(rating.get("ratings"))
        rated_at = parse_iso(rating.get("created_at"))
        if rating_id is None or ticket_id is None or rated_at is None:
            log.warning("Freshdesk rating %s has no ticket or time; skipped", rating.get("id"))
            return None
        if DEFAULT_QUESTION not in answers:
            log.info("Freshdesk rating %s has no CSAT answer (comment only); skipped", rating_id)
            return None
        csat = csat_from(answers[DEFAULT_QUESTION], self._scale(as_int(rating.get("survey_id"))))
        if csat is None:
            log.warning(
                "Freshdesk rating %s has an unknown value %r; skipped",
                rating_id,
                answers[DEFAULT_QUESTION],
            )
            return None
        return _Rated(
            rating_id=rating_id,
            ticket_id=ticket_id,
            agent_id=as_int(rating.get("agent_id")),
            group_id=as_int(rating.get("group_id")),
            rated_at=rated_at,
            csat=csat,
        )

    def assignee(self, external_id: str) -> tuple[str, str | None] | None:
        """The ticket's responder (its assigned agent) as (name, email); None when nobody is."""
        if not is_number(external_id.strip()):
            raise HelpdeskNotFound(f"Freshdesk has no ticket {external_id!r}")
        ticket_id = int(external_id)
        try:
            ticket = self._http.get(f"/api/v2/tickets/{ticket_id}")
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Freshdesk has no ticket {ticket_id}") from None
        responder = as_int(ticket.get("responder_id"))
        contact = as_object(self._agents.get(responder).get("contact")) if responder else {}
        name = clean(contact.get("name"))
        return (name, clean(contact.get("email"))) if name else None

    def _record(self, row: _Rated) -> RatingRecord | None:
        agent = self._agents.get(row.agent_id)
        contact = as_object(agent.get("contact"))
        name = clean(contact.get("name"))
        if name is None:
            log.warning("Freshdesk rating %s has no agent; skipped", row.rating_id)
            return None
        return RatingRecord(
            helpdesk=self.name,
            external_id=str(row.ticket_id),
            agent_name=name,
            agent_email=clean(contact.get("email")),
            closed_at=row.rated_at,
            csat=row.csat,
            queue=self._group_name(row.group_id),
            rated_at=row.rated_at,
        )

    def _list_agents(self) -> Iterator[tuple[int, JSON]]:
        """Every agent (a hundred a page), read once (see Directory)."""
        for page in self._pages("/api/v2/agents", {"per_page": PER_PAGE}):
            yield from ((a["id"], a) for a in page if as_int(a.get("id")) is not None)

    def _fetch_agent(self, agent_id: int) -> JSON:
        return self._http.get(f"/api/v2/agents/{agent_id}")

    def _group_name(self, group_id: int | None) -> str | None:
        """A group's name, reading every group once per connector."""
        if group_id is None:
            return None
        if self._groups is None:
            self._groups = {
                g["id"]: str(g.get("name") or "")
                for page in self._pages("/api/v2/groups", {"per_page": PER_PAGE})
                for g in page
                if as_int(g.get("id")) is not None
            }
        return clean(self._groups.get(group_id))

    def _scale(self, survey_id: int | None) -> tuple[int, ...] | None:
        """The values a survey's CSAT question accepts, reading every survey once."""
        if self._scales is None:
            self._scales = {}
            try:
                for page in self._pages("/api/v2/surveys", {"per_page": PER_PAGE}):
                    for survey in page:
                        if as_int(survey.get("id")) is not None:
                            self._scales[survey["id"]] = self._accepted(survey)
            except (HelpdeskAuthError, HelpdeskNotFound) as exc:  # the ratings were readable
                log.warning("Freshdesk surveys unreadable (%s); reading values as 7-point", exc)
        return self._scales.get(survey_id) if survey_id is not None else None

    @staticmethod
    def _accepted(survey: JSON) -> tuple[int, ...]:
        """The default question's accepted_ratings, as integers."""
        for question in survey.get("questions") or []:
            if isinstance(question, dict) and question.get("id") == DEFAULT_QUESTION:
                values = question.get("accepted_ratings") or []
                return tuple(v for v in values if as_int(v) is not None)
        return ()

    @staticmethod
    def _body(conversation: JSON) -> str:
        """A conversation's text: its HTML body stripped, else its body_text."""
        html = conversation.get("body")
        if isinstance(html, str) and html.strip():
            return html_to_text(html)
        return str(conversation.get("body_text") or "")
