"""HubSpot: CSAT feedback submissions, their tickets and the tickets' owners, and conversations.

What is read (HubSpot's developer docs, and its OpenAPI specs in
github.com/HubSpot/HubSpot-public-api-spec-collection):

- ``POST /crm/v3/objects/feedback_submissions/search``: CSAT submissions created since a time
  (``hs_createdate GTE``, ``hs_survey_type EQ CSAT``), oldest first (one sort,
  ``hs_createdate ASCENDING``), 200 a page (the most), the next page by ``paging.next.after``.
  A search pages through at most 10,000 results (further pages are a 400), so before that the
  search starts again from the last ``hs_createdate`` read, skipping the submissions of that
  millisecond it already gave.
- ``POST /crm/v4/associations/feedback_submissions/tickets/batch/read``: each submission's ticket,
  a page of submissions a call (an unassociated one is left out of ``results``; HTTP 207).
- ``POST /crm/v3/objects/tickets/batch/read``: owner, team, close date and categories, 100 a call.
- ``GET /crm/v3/owners`` (500 a page; the archived ones with ``archived=true`` only when a
  ticket's owner is not among the active ones): names, emails and teams, read once per sync.
- For a transcript: ``GET /crm/v3/objects/tickets/{id}`` (its originating conversation thread),
  ``GET /conversations/v3/conversations/threads/{id}/messages`` (every page), and when the
  messages don't name the customer, the thread's ``associatedContactId`` and that contact.

Ratings: HubSpot's customer satisfaction survey answers 0 (dissatisfied), 1 (neutral) or 2
(satisfied) in ``hs_value`` (its knowledge base: CSAT 0 is a detractor, 1 passive, 2 a promoter),
mapped to 1, 3 and 5. NPS (0-10), CES (1-7) and custom surveys are not CSAT: the search asks for
CSAT only and anything else that comes is skipped with a log line, as is a CSAT answer with no
value (a comment only) or a value off the 0-2 scale. A submission without a ticket, or whose
ticket has no owner that can be named, is skipped with a log line too.

A rating is the ticket's (``external_id`` is the ticket id, so the deep link opens the ticket);
``closed_at`` is the ticket's ``closed_date``, else the rating's time; ``rated_at`` is the
submission's ``hs_createdate``, what the search filters and sorts on, so the connector is
``ordered``. The queue is the ticket's HubSpot team (else its owner's primary team), the tags are
its ticket categories.

Rate limits: HubSpot sends no Retry-After; a 429 names its policy. ``DAILY`` gives up at once
(the day's calls are spent until midnight in the account's time zone), ``TEN_SECONDLY_ROLLING``
waits out ``X-HubSpot-RateLimit-Interval-Milliseconds``, and the search API's own limit (five a
second per account; its answers carry no rate-limit headers) waits a second. Searches are also
spaced at least a quarter of a second apart, so a sync alone stays under that limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from bot.core.settings import Settings, SettingsError
from bot.ingest.helpdesks.base import (
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
    is_number,
)
from bot.ingest.helpdesks.connector import HttpConnector
from bot.ingest.helpdesks.http_client import (
    JSON,
    HelpdeskHttp,
    Params,
    RetryPolicy,
    Sleep,
    retry_after_seconds,
)
from bot.ingest.helpdesks.text import (
    AGENT,
    BOT,
    CUSTOMER,
    as_object,
    as_utc,
    clean,
    html_to_text,
    maybe_html_to_text,
    parse_iso,
    transcript_text,
)

DEFAULT_BASE_URL = "https://api.hubapi.com"
AUTH_HINT = (
    "HubSpot refused the credentials: check DEBRIEF_HUBSPOT_TOKEN (a private app token with the "
    "tickets, crm.objects.contacts.read, crm.objects.owners.read and conversations.read scopes)"
)
SEARCH_PATH = "/crm/v3/objects/feedback_submissions/search"
ASSOCIATIONS_PATH = "/crm/v4/associations/feedback_submissions/tickets/batch/read"
TICKETS_PATH = "/crm/v3/objects/tickets/batch/read"
OWNERS_PATH = "/crm/v3/owners"
PER_PAGE = 200  # the search API's largest page
SEARCH_CAP = 10_000  # results one search query can page through
SEARCH_INTERVAL = 0.25  # seconds between two searches: under the search API's 5 a second
TICKET_BATCH = 100  # tickets a batch read takes
OWNER_PAGE = 500
SECONDLY_WAIT = 1.0  # a 429 from the search API's per-second limit, which sends no headers
CSAT_SCALE = {0: 1.0, 1: 3.0, 2: 5.0}  # HubSpot CSAT 0-2 onto 1-5
SUBMISSION_PROPERTIES = ["hs_createdate", "hs_survey_type", "hs_value"]
TICKET_PROPERTIES = ["hubspot_owner_id", "hubspot_team_id", "closed_date", "hs_ticket_category"]
THREAD_PROPERTY = "hs_conversations_originating_thread_id"
CONTACT_PROPERTIES = "firstname,lastname,email"

log = logging.getLogger("bot.helpdesks.hubspot")  # its name before bot/ingest/


def _objects(value: Any) -> list[JSON]:
    """The JSON objects of a list (anything else in it, or a non-list, is dropped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _id(value: Any) -> str | None:
    """A HubSpot id (a numeric string, or an integer) as a string, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if text.isdigit() else None


def _next_after(data: JSON) -> str | None:
    """The ``paging.next.after`` cursor of a page, when there is a next page."""
    return clean(as_object(as_object(data.get("paging")).get("next")).get("after"))


def _csat(value: Any) -> float | None:
    """HubSpot's CSAT answer (0, 1 or 2, as text) on the 1-5 scale, else None."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return CSAT_SCALE.get(int(number)) if number.is_integer() else None


def _millis(moment: datetime) -> int:
    return int(as_utc(moment).timestamp() * 1000)


def _speaker(message: JSON) -> str:
    """Bot for a bot sender; else Customer for an incoming message, Agent for an outgoing one."""
    senders = _objects(message.get("senders"))
    actor = str(senders[0].get("actorId") or "") if senders else ""
    if actor.startswith("B-"):
        return BOT
    direction = message.get("direction")
    if direction == "INCOMING":
        return CUSTOMER
    if direction == "OUTGOING":
        return AGENT
    return CUSTOMER if actor.startswith(("V-", "E-")) else AGENT


def _message_text(message: JSON) -> str:
    """A message's text: its rich text stripped of HTML, else its plain text."""
    rich = message.get("richText")
    if isinstance(rich, str) and rich.strip():
        return html_to_text(rich)
    text = message.get("text")
    return maybe_html_to_text(text) if isinstance(text, str) else ""


def _sender_email(sender: JSON) -> str | None:
    identifier = as_object(sender.get("deliveryIdentifier"))
    if identifier.get("type") == "HS_EMAIL_ADDRESS":
        return clean(identifier.get("value"))
    return None


def _policy_name(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("policyName") or "") if isinstance(body, dict) else ""


class _HubSpotHttp(HelpdeskHttp):
    """HelpdeskHttp reading HubSpot's 429s: which limit was hit, and its window."""

    def _rate_limit_wait(self, response: httpx.Response, waits: int) -> float:
        wait = retry_after_seconds(response.headers, self._clock(), rate_limit_reset=False)
        if wait is not None:
            return wait
        if _policy_name(response).upper() == "DAILY":
            raise HelpdeskUnavailable(
                "HubSpot's daily API limit is used up (it resets at midnight in the account's "
                "time zone); the next sync goes on from here"
            )
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "").strip()
        if interval.isdigit() and int(interval) > 0:
            return int(interval) / 1000
        return SECONDLY_WAIT


class HubSpotHelpdesk(HttpConnector):
    """Reads CSAT ratings and ticket conversations from one HubSpot account."""

    name = "hubspot"
    ordered = True  # the search sorts by hs_createdate, which RatingRecord.rated_at carries

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = _HubSpotHttp(
            vendor="HubSpot",
            base_url=base_url,
            auth_hint=AUTH_HINT,
            headers={"Authorization": f"Bearer {token}"},
            policy=policy,
            sleep=sleep,
            transport=transport,
        )
        self._sleep = sleep
        self._clock = clock
        self._last_search: float | None = None
        self._owners: dict[str, JSON] | None = None
        self._archived_read = False
        self._teams: dict[str, str] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
    ) -> HubSpotHelpdesk:
        """A connector from the DEBRIEF_HUBSPOT_* settings; SettingsError when the token is unset."""
        if not settings.hubspot_token:
            raise SettingsError("DEBRIEF_HUBSPOT_TOKEN is not set (a HubSpot private app token)")
        return cls(
            token=settings.hubspot_token,
            base_url=settings.hubspot_base_url or DEFAULT_BASE_URL,
            sleep=sleep,
            policy=policy,
        )

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        """Every CSAT rating given at or after `since`, oldest first, with its ticket's owner."""
        for page in self._pages(_millis(since)):
            yield from self._records(page)

    def transcript(self, external_id: str) -> Transcript:
        """The ticket's conversation (internal comments left out) as Customer/Agent lines, and
        its customer; empty when the ticket came from no conversation."""
        ticket_id = external_id.strip()
        if not is_number(ticket_id):
            raise HelpdeskNotFound(f"HubSpot has no ticket {external_id!r}")
        try:
            ticket = self._http.get(
                f"/crm/v3/objects/tickets/{ticket_id}", {"properties": THREAD_PROPERTY}
            )
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"HubSpot has no ticket {ticket_id}") from None
        thread_id = _id(as_object(ticket.get("properties")).get(THREAD_PROPERTY))
        if thread_id is None:
            return Transcript(text="")
        try:
            messages = self._messages(thread_id)
        except HelpdeskNotFound:
            log.warning("HubSpot ticket %s: its conversation %s is gone", ticket_id, thread_id)
            return Transcript(text="")
        shown = [m for m in messages if m.get("type") == "MESSAGE"]  # not COMMENT (notes) etc.
        name, email = self._customer(thread_id, shown)
        return Transcript(
            text=transcript_text((_speaker(m), _message_text(m)) for m in shown),
            customer_name=name,
            customer_email=email,
        )

    # -- ratings -----------------------------------------------------------------------------

    def _pages(self, start_ms: int) -> Iterator[list[JSON]]:
        """CSAT submissions created at or after `start_ms`, oldest first, a search page at a
        time; a new search from the last time read before one reaches HubSpot's 10,000."""
        skip: set[str] = set()  # read already, at start_ms (after a new search)
        while True:
            after: str | None = None
            last_ms: int | None = None
            at_last: set[str] = set()
            while True:
                data = self._search(start_ms, after)
                page: list[JSON] = []
                for submission in _objects(data.get("results")):
                    submission_id = _id(submission.get("id"))
                    created = self._created(submission)
                    if submission_id is None or created is None or submission_id in skip:
                        continue
                    millis = _millis(created)
                    if millis != last_ms:
                        last_ms, at_last = millis, set()
                    at_last.add(submission_id)
                    page.append(submission)
                if page:
                    yield page
                following = _next_after(data)
                if following is None:
                    return
                if not following.isdigit() or int(following) + PER_PAGE > SEARCH_CAP:
                    break
                after = following
            if last_ms is None or last_ms <= start_ms:
                raise HelpdeskError(
                    "HubSpot has more than 10,000 feedback submissions created in one "
                    "millisecond; the search can't page past them"
                )
            start_ms, skip = last_ms, at_last

    def _search(self, start_ms: int, after: str | None) -> JSON:
        """One page of the search, spaced from the one before under the search API's limit."""
        if self._last_search is not None:
            wait = SEARCH_INTERVAL - (self._clock() - self._last_search)
            if wait > 0:
                self._sleep(wait)
        self._last_search = self._clock()
        body: JSON = {
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "hs_createdate",
                            "operator": "GTE",
                            "value": str(start_ms),
                        },
                        {"propertyName": "hs_survey_type", "operator": "EQ", "value": "CSAT"},
                    ]
                }
            ],
            "sorts": [{"propertyName": "hs_createdate", "direction": "ASCENDING"}],
            "properties": SUBMISSION_PROPERTIES,
            "limit": PER_PAGE,
        }
        if after is not None:
            body["after"] = after
        return self._http.post(SEARCH_PATH, body)

    @staticmethod
    def _created(submission: JSON) -> datetime | None:
        properties = as_object(submission.get("properties"))
        return parse_iso(properties.get("hs_createdate")) or parse_iso(submission.get("createdAt"))

    def _records(self, submissions: list[JSON]) -> Iterator[RatingRecord]:
        """RatingRecords for one page of submissions, their tickets and owners read in batches."""
        rated: list[tuple[JSON, float]] = []
        for submission in submissions:
            properties = as_object(submission.get("properties"))
            survey = str(properties.get("hs_survey_type") or "")
            value = properties.get("hs_value")
            csat = _csat(value) if clean(value) is not None else None
            if survey != "CSAT":
                log.warning(
                    "HubSpot feedback submission %s is a %s survey, not CSAT; skipped",
                    submission.get("id"),
                    survey or "untyped",
                )
            elif clean(value) is None:
                log.warning(
                    "HubSpot feedback submission %s has no CSAT value (a comment only); skipped",
                    submission.get("id"),
                )
            elif csat is None:
                log.warning(
                    "HubSpot feedback submission %s: CSAT value %r is off HubSpot's 0-2 scale; "
                    "skipped",
                    submission.get("id"),
                    value,
                )
            else:
                rated.append((submission, csat))
        if not rated:
            return
        ticket_of = self._ticket_ids([str(s["id"]) for s, _ in rated])
        tickets = self._tickets(sorted(set(ticket_of.values()), key=int))
        self._load_owners(
            _id(as_object(t.get("properties")).get("hubspot_owner_id")) for t in tickets.values()
        )
        for submission, csat in rated:
            record = self._record(submission, csat, ticket_of, tickets)
            if record is not None:
                yield record

    def _record(
        self, submission: JSON, csat: float, ticket_of: dict[str, str], tickets: dict[str, JSON]
    ) -> RatingRecord | None:
        submission_id = str(submission["id"])
        ticket_id = ticket_of.get(submission_id)
        if ticket_id is None or ticket_id not in tickets:
            log.warning("HubSpot feedback submission %s has no ticket; skipped", submission_id)
            return None
        properties = as_object(tickets[ticket_id].get("properties"))
        owner = self._owner(_id(properties.get("hubspot_owner_id")))
        name = self._owner_name(owner)
        rated_at = self._created(submission)
        if name is None or rated_at is None:
            log.warning(
                "HubSpot feedback submission %s: ticket %s has no owner to name; skipped",
                submission_id,
                ticket_id,
            )
            return None
        categories = str(properties.get("hs_ticket_category") or "").split(";")
        return RatingRecord(
            helpdesk=self.name,
            external_id=ticket_id,
            agent_name=name,
            agent_email=clean(owner.get("email")),
            closed_at=parse_iso(properties.get("closed_date")) or rated_at,
            csat=csat,
            queue=self._queue(_id(properties.get("hubspot_team_id")), owner),
            tags=tuple(c.strip() for c in categories if c.strip()),
            rated_at=rated_at,
        )

    def _ticket_ids(self, submission_ids: list[str]) -> dict[str, str]:
        """Each submission's ticket (the lowest id when it has several), one batch a page."""
        data = self._http.post(ASSOCIATIONS_PATH, {"inputs": [{"id": i} for i in submission_ids]})
        found: dict[str, str] = {}
        for result in _objects(data.get("results")):
            source = _id(as_object(result.get("from")).get("id"))
            targets = [_id(t.get("toObjectId")) for t in _objects(result.get("to"))]
            ids = sorted((t for t in targets if t is not None), key=int)
            if source is not None and ids:
                found[source] = ids[0]
        return found

    def _tickets(self, ticket_ids: list[str]) -> dict[str, JSON]:
        """Tickets by id with the properties a rating needs, a hundred a call."""
        tickets: dict[str, JSON] = {}
        for start in range(0, len(ticket_ids), TICKET_BATCH):
            batch = ticket_ids[start : start + TICKET_BATCH]
            data = self._http.post(
                TICKETS_PATH,
                {
                    "inputs": [{"id": i} for i in batch],
                    "properties": TICKET_PROPERTIES,
                    "propertiesWithHistory": [],
                },
            )
            for ticket in _objects(data.get("results")):
                ticket_id = _id(ticket.get("id"))
                if ticket_id is not None:
                    tickets[ticket_id] = ticket
        return tickets

    def _load_owners(self, owner_ids: Iterable[str | None]) -> None:
        """Every active owner once per connector; the archived ones too if one is missing."""
        if self._owners is None:
            self._owners = {}
            self._read_owners(archived=False)
        wanted = {i for i in owner_ids if i is not None}
        if wanted - self._owners.keys() and not self._archived_read:
            self._archived_read = True
            self._read_owners(archived=True)

    def _read_owners(self, *, archived: bool) -> None:
        assert self._owners is not None
        params: dict[str, str | int] = {"limit": OWNER_PAGE}
        if archived:
            params["archived"] = "true"
        seen: set[str] = set()
        while True:
            data = self._http.get(OWNERS_PATH, params)
            for owner in _objects(data.get("results")):
                owner_id = _id(owner.get("id"))
                if owner_id is not None:
                    self._owners.setdefault(owner_id, owner)
                for team in _objects(owner.get("teams")):
                    team_id, team_name = _id(team.get("id")), clean(team.get("name"))
                    if team_id is not None and team_name is not None:
                        self._teams[team_id] = team_name
            after = _next_after(data)
            if after is None or after in seen:
                return
            seen.add(after)
            params["after"] = after

    def assignee(self, external_id: str) -> tuple[str, str | None] | None:
        """The ticket's owner as (name, email); None when it has none that can be named."""
        ticket_id = external_id.strip()
        if not is_number(ticket_id):
            raise HelpdeskNotFound(f"HubSpot has no ticket {external_id!r}")
        path = f"/crm/v3/objects/tickets/{ticket_id}"
        try:
            ticket = self._http.get(path, {"properties": "hubspot_owner_id"})
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"HubSpot has no ticket {ticket_id}") from None
        owner_id = _id(as_object(ticket.get("properties")).get("hubspot_owner_id"))
        self._load_owners([owner_id])
        owner = self._owner(owner_id)
        name = self._owner_name(owner)
        return (name, clean(owner.get("email"))) if name else None

    def _owner(self, owner_id: str | None) -> JSON:
        if owner_id is None or self._owners is None:
            return {}
        return self._owners.get(owner_id, {})

    @staticmethod
    def _owner_name(owner: JSON) -> str | None:
        """An owner's full name, else their email; None for a queue or an unknown owner."""
        if not owner or owner.get("type") == "QUEUE":
            return None
        parts = (clean(owner.get("firstName")), clean(owner.get("lastName")))
        return " ".join(p for p in parts if p) or clean(owner.get("email"))

    def _queue(self, team_id: str | None, owner: JSON) -> str | None:
        """The ticket's team, else its owner's primary team."""
        if team_id is not None and team_id in self._teams:
            return self._teams[team_id]
        primary = [t for t in _objects(owner.get("teams")) if t.get("primary") is True]
        return clean(primary[0].get("name")) if primary else None

    # -- transcripts -------------------------------------------------------------------------

    def _messages(self, thread_id: str) -> list[JSON]:
        """Every message of a thread, oldest first."""
        path = f"/conversations/v3/conversations/threads/{quote(thread_id, safe='')}/messages"
        params: Params = {}
        messages: list[JSON] = []
        seen: set[str] = set()
        while True:
            data = self._http.get(path, params or None)
            messages.extend(_objects(data.get("results")))
            after = _next_after(data)
            if after is None or after in seen:
                break
            seen.add(after)
            params = {"after": after}
        return sorted(messages, key=lambda m: str(m.get("createdAt") or ""))

    def _customer(self, thread_id: str, messages: list[JSON]) -> tuple[str | None, str | None]:
        """The customer's name and email: from the incoming messages' senders, else from the
        contact the thread is associated with."""
        name = email = None
        for message in messages:
            if message.get("direction") != "INCOMING":
                continue
            for sender in _objects(message.get("senders")):
                name = name or clean(sender.get("name"))
                email = email or _sender_email(sender)
        if name is not None and email is not None:
            return name, email
        try:
            thread = self._http.get(f"/conversations/v3/conversations/threads/{thread_id}")
            contact_id = _id(thread.get("associatedContactId"))
            contact = (
                self._http.get(
                    f"/crm/v3/objects/contacts/{contact_id}", {"properties": CONTACT_PROPERTIES}
                )
                if contact_id is not None
                else {}
            )
        except HelpdeskNotFound:  # a visitor id, not a contact, or the thread is gone
            contact = {}
        properties = as_object(contact.get("properties"))
        full = " ".join(
            p for p in (clean(properties.get("firstname")), clean(properties.get("lastname"))) if p
        )
        return name or full or None, email or clean(properties.get("email"))
