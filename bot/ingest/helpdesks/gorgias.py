"""Gorgias: satisfaction surveys, the tickets they rate, their agents (users) and messages.

Read from the Gorgias REST API (https://developers.gorgias.com/reference), HTTP basic auth with
the REST API user's email and API key:

- `GET /api/satisfaction-surveys` (cursor pagination: `limit` <= 100, `cursor` from
  `meta.next_cursor`; `order_by` only `created_datetime:asc|desc`; no date filter). A survey's
  `score` is the customer's 1-5 stars and is kept as is (1 -> 1.0 ... 5 -> 5.0); a survey with
  no score (not answered, or a comment only) or a score outside 1-5 is not a CSAT and is skipped
  (logged when it was answered). A score without `scored_datetime` (a survey created through
  the API) counts from the survey's `created_datetime`.
- `GET /api/tickets?ticket_ids=..` (up to 100 ids a call) for each rated ticket's assignee,
  team (the queue), tags and `closed_datetime` (else the score time); `GET /api/tickets/{id}` for
  any the list lacks, and for all of them if the account refuses `ticket_ids`. The rating goes to
  the ticket's assignee when the sync reads it (a survey names no agent).
- `GET /api/users` (all users, a hundred a page, once per connector) for the agent's name and
  email; `GET /api/users/{id}` for one not listed.
- `GET /api/tickets/{id}` (the customer; 404: no such ticket) and `GET /api/messages?ticket_id=..`
  (oldest first) for a transcript: internal notes left out, a rule's messages as Bot.

Ordering: the API filters on nothing and sorts surveys only by creation time, while a rating's
time is `scored_datetime`. So `ratings_since` reads surveys newest-created first until they were
created more than SCORE_LAG before `since` (a survey is created when its ticket closes and
answered after that), keeps those scored at or after `since`, sorts them by `scored_datetime`
and yields them oldest first with `rated_at` set: bounded by the window (plus SCORE_LAG), so a
sync that stops part-way resumes from the last rating it kept. A survey created more than
SCORE_LAG before a sync's `since` but scored after it is missed (Gorgias documents no limit on
how late a survey can be answered).

Rate limit: 429 with `Retry-After` (seconds) is waited out by HelpdeskHttp; every answer carries
`X-Gorgias-Account-Api-Call-Limit: used/limit` (a leaky bucket, 40 calls per 20 s for an API
key), and when it says the bucket is full the next call waits for one call's worth to drain
(unless the retry policy allows no waits: someone is waiting for the answer).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.core.settings import Settings, SettingsError
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
    is_number,
)
from bot.ingest.helpdesks.connector import Directory, HttpConnector, account_base_url
from bot.ingest.helpdesks.http_client import JSON, HelpdeskHttp, RetryPolicy, Sleep
from bot.ingest.helpdesks.text import (
    AGENT,
    BOT,
    CUSTOMER,
    as_int,
    as_object,
    as_utc,
    clean,
    html_to_text,
    maybe_html_to_text,
    parse_iso,
    transcript_text,
)

AUTH_HINT = (
    "Gorgias refused the credentials: check DEBRIEF_GORGIAS_EMAIL and DEBRIEF_GORGIAS_API_KEY "
    "(the username and API key under Settings > REST API)"
)
LIMIT = 100  # the largest page of surveys, users, tickets and messages, and ids a ticket list takes
SCORE_LAG = timedelta(days=30)  # how long after its creation a survey is assumed answerable
CALL_LIMIT = "X-Gorgias-Account-Api-Call-Limit"
DRAIN_SECONDS = 0.5  # an API key's bucket: 40 calls per 20 s, so one call drains every 0.5 s
INTERNAL_NOTE = "internal-note"
ASCENDING, DESCENDING = "created_datetime:asc", "created_datetime:desc"

Query = list[tuple[str, str | int]]

log = logging.getLogger("bot.helpdesks.gorgias")  # its name before bot/ingest/


def _score(value: Any) -> float | None:
    """A survey's stars as a 1-5 CSAT, or None when it has none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 1 <= value <= 5 and float(value).is_integer() else None


def _name(person: JSON) -> str | None:
    """A user's or customer's `name`, else first and last name."""
    joined = " ".join(
        p for p in (clean(person.get("firstname")), clean(person.get("lastname"))) if p
    )
    return clean(person.get("name")) or clean(joined)


def _call_limit(headers: httpx.Headers) -> tuple[int, int] | None:
    """`X-Gorgias-Account-Api-Call-Limit: 10/40` as (10, 40)."""
    used, _, limit = headers.get(CALL_LIMIT, "").strip().partition("/")
    if used.isdigit() and limit.isdigit() and int(limit) > 0:
        return int(used), int(limit)
    return None


class _Pacer(httpx.BaseTransport):
    """Waits before a call when the previous answer said the account's call bucket was full
    (429s themselves are waited out by HelpdeskHttp with their Retry-After)."""

    def __init__(self, inner: httpx.BaseTransport, sleep: Sleep) -> None:
        self._inner = inner
        self._sleep = sleep
        self._full = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._full:
            log.info("Gorgias: the API call bucket is full; waiting %.1fs", DRAIN_SECONDS)
            self._sleep(DRAIN_SECONDS)
        response = self._inner.handle_request(request)
        counted = _call_limit(response.headers)
        self._full = (
            response.status_code != 429 and counted is not None and counted[0] >= counted[1]
        )
        return response

    def close(self) -> None:
        self._inner.close()


def _ticket_id(survey: JSON) -> int | None:
    return as_int(survey.get("ticket_id"))


@dataclass(frozen=True)
class _Scored:
    """A survey with a 1-5 score, and when it was scored."""

    at: datetime
    score: float
    survey: JSON


class GorgiasHelpdesk(HttpConnector):
    """Reads satisfaction surveys and transcripts from one Gorgias account."""

    name = "gorgias"
    ordered = True  # ratings come oldest first by scored_datetime (see the module docstring)

    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        api_key: str,
        sleep: Sleep = time.sleep,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        score_lag: timedelta = SCORE_LAG,
    ) -> None:
        self._http = HelpdeskHttp(
            vendor="Gorgias",
            base_url=base_url,
            auth_hint=AUTH_HINT,
            auth=(email, api_key),
            policy=policy,
            sleep=sleep,
            transport=(
                _Pacer(transport or httpx.HTTPTransport(), sleep)
                if (policy or RetryPolicy()).max_rate_limit_waits > 0  # else nobody may wait
                else transport
            ),
        )
        self._score_lag = score_lag
        self._users = Directory[int](self._list_users, self._fetch_user)
        self._batch_tickets = True

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
    ) -> GorgiasHelpdesk:
        """A connector from the DEBRIEF_GORGIAS_* settings; SettingsError names a missing one."""
        base = account_base_url(
            settings.gorgias_base_url,
            settings.gorgias_domain,
            host="gorgias.com",
            variable="DEBRIEF_GORGIAS_DOMAIN",
            base_variable="DEBRIEF_GORGIAS_BASE_URL",
        )
        if not settings.gorgias_email:
            raise SettingsError("DEBRIEF_GORGIAS_EMAIL is not set (the REST API username)")
        if not settings.gorgias_api_key:
            raise SettingsError(
                "DEBRIEF_GORGIAS_API_KEY is not set (Settings > REST API in Gorgias)"
            )
        return cls(
            base_url=base,
            email=settings.gorgias_email,
            api_key=settings.gorgias_api_key,
            sleep=sleep,
            policy=policy,
        )

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        """Every survey scored at or after `since`, oldest first, with its ticket's agent."""
        rated = self._scored_since(as_utc(since))
        for start in range(0, len(rated), LIMIT):
            chunk = rated[start : start + LIMIT]
            tickets = self._tickets(t for s in chunk if (t := _ticket_id(s.survey)) is not None)
            for scored in chunk:
                record = self._record(scored, tickets)
                if record is not None:
                    yield record

    def transcript(self, external_id: str) -> Transcript:
        """The ticket's public messages as Customer/Agent/Bot lines, and its customer."""
        if not is_number(external_id.strip()):
            raise HelpdeskNotFound(f"Gorgias has no ticket {external_id!r}")
        ticket_id = int(external_id)
        try:
            ticket = self._http.get(f"/api/tickets/{ticket_id}")
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Gorgias has no ticket {ticket_id}") from None
        query: Query = [("ticket_id", ticket_id), ("limit", LIMIT), ("order_by", ASCENDING)]
        messages = [m for page in self._pages("/api/messages", query) for m in page]
        turns = [(self._speaker(m), self._message_text(m)) for m in messages if self._public(m)]
        customer = as_object(ticket.get("customer"))
        return Transcript(
            text=transcript_text(turns),
            customer_name=_name(customer),
            customer_email=clean(customer.get("email")),
        )

    def assignee(self, external_id: str) -> tuple[str, str | None] | None:
        """The ticket's assigned user as (name, email); None when nobody is assigned."""
        if not is_number(external_id.strip()):
            raise HelpdeskNotFound(f"Gorgias has no ticket {external_id!r}")
        ticket_id = int(external_id)
        try:
            ticket = self._http.get(f"/api/tickets/{ticket_id}")
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Gorgias has no ticket {ticket_id}") from None
        user = as_object(ticket.get("assignee_user"))
        name = _name(user)
        return (name, clean(user.get("email"))) if name else None

    def _pages(self, path: str, query: Query) -> Iterator[list[JSON]]:
        """Each page's `data`, following `meta.next_cursor` with the same parameters (sent in
        the path: `ticket_ids` repeats, which a mapping of parameters can't say)."""
        data = self._http.get(f"{path}?{urlencode(query)}")
        seen: set[str] = set()
        while True:
            yield [item for item in data.get("data") or [] if isinstance(item, dict)]
            cursor = clean(as_object(data.get("meta")).get("next_cursor"))
            if cursor is None or cursor in seen:
                return
            seen.add(cursor)
            data = self._http.get(f"{path}?{urlencode([*query, ('cursor', cursor)])}")

    def _scored_since(self, since: datetime) -> list[_Scored]:
        """Surveys scored at or after `since`, by score time: read newest-created first until
        the surveys were created SCORE_LAG before `since`."""
        cutoff = since - self._score_lag
        query: Query = [("limit", LIMIT), ("order_by", DESCENDING)]
        found: list[_Scored] = []
        for page in self._pages("/api/satisfaction-surveys", query):
            created = [c for s in page if (c := parse_iso(s.get("created_datetime"))) is not None]
            for survey in page:
                scored_at = parse_iso(survey.get("scored_datetime"))
                score = _score(survey.get("score"))
                if score is None:
                    self._not_a_rating(survey, scored_at, since)
                    continue
                # a score set without its time (a survey created through the API): its creation
                at = scored_at or parse_iso(survey.get("created_datetime"))
                if at is not None and at >= since:
                    found.append(_Scored(at, score, survey))
            if created and min(created) < cutoff:
                break
        found.sort(key=lambda s: (s.at, str(s.survey.get("id"))))
        return found

    @staticmethod
    def _not_a_rating(survey: JSON, scored_at: datetime | None, since: datetime) -> None:
        """Log a survey answered without a 1-5 score (a comment only, or an odd score)."""
        answered = scored_at is not None or clean(survey.get("body_text")) is not None
        when = scored_at or parse_iso(survey.get("created_datetime"))
        if answered and when is not None and when >= since:
            log.info(
                "Gorgias survey %s (ticket %s) has no 1-5 score (%r); skipped, not a CSAT",
                survey.get("id"),
                survey.get("ticket_id"),
                survey.get("score"),
            )

    def _tickets(self, ids: Iterable[int]) -> dict[int, JSON]:
        """Tickets by id: listed a hundred at a time (`ticket_ids`), any the list lacks fetched
        on their own (a deleted ticket is left out)."""
        wanted = sorted(set(ids))
        found: dict[int, JSON] = {}
        if self._batch_tickets and wanted:
            try:
                found = self._listed_tickets(wanted)
            except (HelpdeskAuthError, HelpdeskUnavailable, HelpdeskNotFound):
                raise
            except HelpdeskError as exc:  # e.g. 400: the account doesn't take ticket_ids
                log.warning(
                    "Gorgias: listing tickets by id failed (%s); reading them one by one", exc
                )
                self._batch_tickets = False
        for ticket_id in wanted:
            if ticket_id not in found:
                with contextlib.suppress(HelpdeskNotFound):  # deleted since
                    found[ticket_id] = self._http.get(f"/api/tickets/{ticket_id}")
        return found

    def _listed_tickets(self, wanted: list[int]) -> dict[int, JSON]:
        """`GET /api/tickets?ticket_ids=..` a hundred ids at a time; {} (and no more batches)
        when the answer holds tickets that weren't asked for, as if the filter were ignored."""
        found: dict[int, JSON] = {}
        for start in range(0, len(wanted), LIMIT):
            batch = set(wanted[start : start + LIMIT])
            query: Query = [("ticket_ids", i) for i in sorted(batch)]
            for page in self._pages("/api/tickets", [*query, ("limit", LIMIT)]):
                listed = {i: t for t in page if (i := as_int(t.get("id"))) is not None}
                if not listed.keys() <= batch:
                    log.warning("Gorgias ignored ticket_ids; reading tickets one by one")
                    self._batch_tickets = False
                    return {}
                found.update(listed)
        return found

    def _record(self, scored: _Scored, tickets: dict[int, JSON]) -> RatingRecord | None:
        survey = scored.survey
        ticket_id = _ticket_id(survey)
        ticket = tickets.get(ticket_id) if ticket_id is not None else None
        if ticket_id is None or ticket is None:
            log.warning(
                "Gorgias survey %s: ticket %s not found; skipped", survey.get("id"), ticket_id
            )
            return None
        embedded = as_object(ticket.get("assignee_user"))
        assignee = as_int(ticket.get("assignee_user_id")) or as_int(embedded.get("id"))
        user = self._users.get(assignee)
        name = _name(user) or _name(embedded)
        if name is None:
            log.warning("Gorgias ticket %s has no assigned agent; its rating is skipped", ticket_id)
            return None
        tags = [clean(as_object(tag).get("name")) for tag in ticket.get("tags") or []]
        return RatingRecord(
            helpdesk=self.name,
            external_id=str(ticket_id),
            agent_name=name,
            agent_email=clean(user.get("email")) or clean(embedded.get("email")),
            closed_at=parse_iso(ticket.get("closed_datetime")) or scored.at,
            csat=scored.score,
            queue=clean(as_object(ticket.get("assignee_team")).get("name")),
            tags=tuple(t for t in tags if t),
            rated_at=scored.at,
        )

    def _list_users(self) -> Iterator[tuple[int, JSON]]:
        """Every user (`GET /api/users`), read once (see Directory)."""
        for page in self._pages("/api/users", [("limit", LIMIT)]):
            yield from ((u["id"], u) for u in page if as_int(u.get("id")) is not None)

    def _fetch_user(self, user_id: int) -> JSON:
        return self._http.get(f"/api/users/{user_id}")

    @staticmethod
    def _public(message: JSON) -> bool:
        """Whether a message was between the customer and the company (not an internal note)."""
        source = as_object(message.get("source"))
        note = INTERNAL_NOTE in (message.get("channel"), source.get("type"))
        return message.get("public", True) is not False and not note

    @staticmethod
    def _speaker(message: JSON) -> str:
        """Customer for incoming messages; Bot for those a rule sent; Agent otherwise."""
        if not message.get("from_agent"):
            return CUSTOMER
        return BOT if as_int(message.get("rule_id")) is not None else AGENT

    @staticmethod
    def _message_text(message: JSON) -> str:
        """The reply without quoted history (stripped_*), else the whole body, HTML stripped."""
        for key in ("stripped_text", "body_text"):
            text = message.get(key)
            if isinstance(text, str) and text.strip():
                return maybe_html_to_text(text)
        for key in ("stripped_html", "body_html"):
            html = message.get(key)
            if isinstance(html, str) and html.strip():
                return html_to_text(html)
        return ""
