"""Zendesk Support: CSAT ratings (new CSAT survey responses and legacy satisfaction ratings),
their tickets, agents and groups, and ticket comments.

Endpoints (developer.zendesk.com, Ticketing API > Ticket management):
- CSAT Survey Responses, ``GET /api/v2/guide/survey_responses``: ``filter[created_at_start]`` and
  ``filter[created_at_end]`` in Unix epoch milliseconds, cursor pages of at most 100
  (``meta.has_more``, ``meta.after_cursor``), ``sort=id``; the ticket is in ``subjects``. CSAT
  Surveys, ``GET /api/v2/guide/{locale}/surveys/{id}/{version}``: the rating scale's options.
- Satisfaction Ratings, ``GET /api/v2/satisfaction_ratings`` (legacy CSAT): ``score=received``,
  ``start_time``/``end_time`` in Unix epoch seconds, cursor pages.

An account has one CSAT at a time, but one that moved to the new CSAT keeps its legacy ratings
from before. A sync reads whichever of the two holds ratings in its span (both, across a move)
and says which (`what_it_read`).

Ratings on a 1-5 scale: a new CSAT answer r on the survey's n-point scale (Zendesk offers 2, 3
or 5 points; n is read from the survey's own options) is 1 + (r - 1) * 4 / (n - 1): 2-point 1, 5;
3-point 1, 3, 5; 5-point as given. Legacy good = 5, bad = 1. A survey response without a
customer-satisfaction rating (skipped, or only a comment) is skipped with a log line.

Order: neither list sorts by the time it filters on (survey responses sort only by id; the
legacy list names no sort values), so a sync reads its span in week-long windows of that time,
oldest first, and sorts each window before yielding it: the connector is ``ordered``, `rated_at`
being the rating's time held inside its window, and a sync that fails resumes in the window it
was reading. Customers may answer, and change their answer, for 28 days after the survey is
sent, and both lists filter on when a rating was created rather than answered: every sync
reaches that much further back, so late answers are read too (upserts make re-reads harmless).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.core.settings import Settings, SettingsError
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskNotFound,
    RatingRecord,
    Transcript,
    is_number,
)
from bot.ingest.helpdesks.connector import HttpConnector, account_base_url
from bot.ingest.helpdesks.http_client import JSON, HelpdeskHttp, Params, RetryPolicy, Sleep
from bot.ingest.helpdesks.text import (
    AGENT,
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
    "Zendesk refused the credentials: check DEBRIEF_ZENDESK_EMAIL and DEBRIEF_ZENDESK_TOKEN "
    "(reading CSAT ratings needs an admin's email)"
)
SCORES = {"good": 5.0, "bad": 1.0}
BATCH = 100  # the most ids a show_many call takes, and the cursor page size
PAGE = {"page[size]": BATCH}
WINDOW = timedelta(days=7)  # a sync reads (and sorts) its span a window at a time
ANSWER_WINDOW = timedelta(days=28)  # how long a customer may answer a survey, by default
SURVEY_LOCALE = "en-us"  # the survey's labels only; the ratings are the same in every locale

SURVEY = "survey"
LEGACY = "legacy"
LABELS = {SURVEY: "new CSAT survey responses", LEGACY: "legacy satisfaction ratings"}
RESPONSES_PATH = "/api/v2/guide/survey_responses"
RATINGS_PATH = "/api/v2/satisfaction_ratings.json"
_TICKET_ZRN = re.compile(r"(?:zen|zrn):ticket:(\d+)")

log = logging.getLogger("bot.helpdesks.zendesk")  # its name before bot/ingest/


@dataclass(frozen=True)
class _Rated:
    """One rating as either list gives it, before its ticket and agent are looked up."""

    source: str
    rating_id: str
    ticket_id: int
    csat: float
    rated_at: datetime  # its time held inside the window that read it
    given_at: datetime | None  # when it was given, the closing time when the ticket has none
    assignee_id: int | None = None  # the legacy rating's agent; else the ticket's assignee
    group_id: int | None = None


def _next(data: JSON) -> tuple[str | None, str | None]:
    """Where the next page is: (a next link, or an after-cursor when the page gives only that).

    Cursor pagination answers `meta.has_more` with `links.next` (the Help Center API's survey
    responses document only `meta.after_cursor`); offset pagination answers `next_page`."""
    meta = data.get("meta")
    if isinstance(meta, dict) and "has_more" in meta:
        if not meta.get("has_more"):
            return None, None
        link = clean(as_object(data.get("links")).get("next"))
        return link, None if link else clean(meta.get("after_cursor"))
    return clean(data.get("next_page")), None


def _ids(values: Iterable[Any]) -> list[int]:
    """The distinct integer ids among values, sorted."""
    return sorted({v for v in values if as_int(v) is not None})


def _batches(ids: list[int]) -> Iterator[str]:
    """Comma-separated id lists of at most BATCH ids."""
    for start in range(0, len(ids), BATCH):
        yield ",".join(str(i) for i in ids[start : start + BATCH])


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _millis(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


def _windows(start: datetime, now: datetime) -> Iterator[tuple[datetime, datetime | None]]:
    """[start, end) spans of WINDOW from `start`; the last, reaching `now`, has no end."""
    while start + WINDOW < now:
        yield start, start + WINDOW
        start += WINDOW
    yield start, None


def _within(moment: datetime | None, start: datetime, end: datetime | None) -> datetime:
    """The moment held inside [start, end]: the window a list filed it under is the truth."""
    if moment is None or moment < start:
        return start
    return end if end is not None and moment > end else moment


def _to_five(rating: int, points: int) -> float:
    """A rating on a 1..points scale on 1-5."""
    return round(1 + (rating - 1) * 4 / (points - 1), 4)


def _points_from_category(rating: int, category: Any) -> int | None:
    """The scale a rating must be on, from its value and `rating_category`, when the survey's
    own options can't be read: 2-point 1 bad, 2 good; 3-point 1 bad, 2 neutral, 3 good;
    5-point otherwise."""
    if rating >= 4:
        return 5
    if rating == 1:
        return 2  # 1 is the lowest on every scale
    if rating == 2:
        return {"good": 2, "neutral": 3, "bad": 5}.get(str(category))
    if rating == 3:
        return 3 if category == "good" else 5
    return None


def _ticket_of(response: JSON) -> int | None:
    """The ticket a survey response is about, from `subjects` or `subject_zrns`."""
    for subject in response.get("subjects") or []:
        subject = as_object(subject)
        if subject.get("type") == "ticket" and str(subject.get("id") or "").isdigit():
            return int(subject["id"])
    for zrn in response.get("subject_zrns") or []:
        match = _TICKET_ZRN.fullmatch(str(zrn))
        if match:
            return int(match.group(1))
    return None


class ZendeskHelpdesk(HttpConnector):
    """Reads ratings and transcripts from one Zendesk account through its REST API."""

    name = "zendesk"
    ordered = True  # oldest first by `rated_at` (read in sorted windows, see above)

    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        token: str,
        sleep: Sleep = time.sleep,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
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
        self._clock = clock or (lambda: datetime.now(UTC))
        self._users: dict[int, JSON] = {}
        self._groups: dict[int, str] | None = None
        self._surveys: dict[tuple[str, int], dict[str, JSON] | None] = {}
        self._sources: list[str] | None = None  # what the last sync found in use
        self._read: dict[str, int] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
    ) -> ZendeskHelpdesk:
        """A connector from the DEBRIEF_ZENDESK_* settings; SettingsError names a missing one."""
        base = account_base_url(
            settings.zendesk_base_url,
            settings.zendesk_subdomain,
            host="zendesk.com",
            variable="DEBRIEF_ZENDESK_SUBDOMAIN",
            base_variable="DEBRIEF_ZENDESK_BASE_URL",
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

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        """Every CSAT rating created at or after `since` (and up to ANSWER_WINDOW before it, for
        late answers), new CSAT and legacy, oldest first, with agent, group and ticket data."""
        start = as_utc(since) - ANSWER_WINDOW
        self._read = {}
        self._sources = None
        sources = self._in_use(start)
        self._sources = sources
        self._read = dict.fromkeys(sources, 0)
        previous: set[tuple[str, str]] = set()
        for window_start, window_end in _windows(start, as_utc(self._clock())):
            window = [
                rated
                for source in sources
                for rated in self._window(source, window_start, window_end)
                if (rated.source, rated.rating_id) not in previous  # read at both edges
            ]
            window.sort(key=lambda r: (r.rated_at, r.source, r.rating_id))
            previous = {(r.source, r.rating_id) for r in window}
            for first in range(0, len(window), BATCH):
                for record, source in self._records(window[first : first + BATCH]):
                    self._read[source] += 1
                    yield record

    def what_it_read(self) -> str | None:
        """Which CSAT the last `ratings_since` read, e.g. "new CSAT survey responses"."""
        if self._sources is None:
            return None
        if not self._sources:
            return f"found neither {LABELS[SURVEY]} nor {LABELS[LEGACY]}"
        if len(self._sources) == 1:
            return LABELS[self._sources[0]]
        return ", ".join(f"{self._read[s]:,} {LABELS[s]}" for s in self._sources)

    def transcript(self, external_id: str) -> Transcript:
        """The ticket's public comments as Customer/Agent lines, and its requester."""
        if not is_number(external_id.strip()):
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

    def assignee(self, external_id: str) -> tuple[str, str | None] | None:
        """The ticket's assignee as (name, email); None when nobody is assigned."""
        if not is_number(external_id.strip()):
            raise HelpdeskNotFound(f"Zendesk has no ticket {external_id!r}")
        ticket_id = int(external_id)
        try:
            ticket = self._http.get(f"/api/v2/tickets/{ticket_id}.json").get("ticket") or {}
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Zendesk has no ticket {ticket_id}") from None
        assignee_id = ticket.get("assignee_id")
        if not isinstance(assignee_id, int):
            return None
        self._load_users([assignee_id])
        user = self._users.get(assignee_id, {})
        name = clean(user.get("name"))
        return (name, clean(user.get("email"))) if name else None

    def _pages(self, path: str, params: Params, key: str) -> Iterator[list[JSON]]:
        """Each page's list under `key`, following next links (or after-cursors) to the end."""
        data = self._http.get(path, params)
        seen: set[str] = set()
        while True:
            yield [item for item in data.get(key) or [] if isinstance(item, dict)]
            link, cursor = _next(data)
            if (link or cursor) is None or (link or cursor) in seen:
                return
            seen.add(link or cursor or "")
            if link is not None:
                data = self._http.get(self._http.relative(link))
            else:
                data = self._http.get(path, {**params, "page[after]": cursor or ""})

    def _query(self, source: str, start: datetime, end: datetime | None) -> tuple[str, Params]:
        """The list's path and filter for ratings created in [start, end]."""
        if source == SURVEY:
            params: dict[str, str | int] = {"filter[created_at_start]": _millis(start)}
            if end is not None:
                params["filter[created_at_end]"] = _millis(end)
            return RESPONSES_PATH, {**params, "sort": "id"}
        params = {"score": "received", "start_time": _seconds(start)}
        if end is not None:
            params["end_time"] = _seconds(end)
        return RATINGS_PATH, params

    def _in_use(self, start: datetime) -> list[str]:
        """The CSATs with ratings since `start`: one page of one from each list. A list that is
        refused or missing while the other answers is one the account doesn't use; both
        refused means the credentials are wrong."""
        found: list[str] = []
        refused: HelpdeskAuthError | None = None
        answered = False
        for source in (SURVEY, LEGACY):
            path, params = self._query(source, start, None)
            try:
                data = self._http.get(path, {**params, "page[size]": 1})
            except HelpdeskAuthError as exc:
                log.info("Zendesk refused to list %s: %s", LABELS[source], exc)
                refused = refused or exc
                continue
            except HelpdeskNotFound:
                log.info("Zendesk has no %s for this account", LABELS[source])
                continue
            answered = True
            key = "survey_responses" if source == SURVEY else "satisfaction_ratings"
            if data.get(key):
                found.append(source)
        if refused is not None and not answered:
            raise refused
        return found

    def _window(self, source: str, start: datetime, end: datetime | None) -> list[_Rated]:
        """The ratings one list holds for a window, in no particular order."""
        path, params = self._query(source, start, end)
        key = "survey_responses" if source == SURVEY else "satisfaction_ratings"
        read = self._from_response if source == SURVEY else self._from_legacy
        return [
            rated
            for page in self._pages(path, {**params, **PAGE}, key)
            for item in page
            if (rated := read(item, start, end)) is not None
        ]

    def _from_legacy(self, rating: JSON, start: datetime, end: datetime | None) -> _Rated | None:
        score = SCORES.get(str(rating.get("score")))
        ticket_id = as_int(rating.get("ticket_id"))
        if score is None or ticket_id is None:
            return None
        created = parse_iso(rating.get("created_at")) or parse_iso(rating.get("updated_at"))
        return _Rated(
            source=LEGACY,
            rating_id=str(rating.get("id")),
            ticket_id=ticket_id,
            csat=score,
            rated_at=_within(created, start, end),
            given_at=created,
            assignee_id=as_int(rating.get("assignee_id")),
            group_id=as_int(rating.get("group_id")),
        )

    def _from_response(
        self, response: JSON, start: datetime, end: datetime | None
    ) -> _Rated | None:
        response_id = str(response.get("id"))
        ticket_id = _ticket_of(response)
        if ticket_id is None:
            log.info("Zendesk survey response %s is about no ticket; skipped", response_id)
            return None
        survey = as_object(response.get("survey"))
        survey_id = clean(survey.get("id")) or clean(response.get("survey_id"))
        version = as_int(survey.get("version")) or as_int(response.get("survey_version"))
        questions = self._survey_questions(survey_id, version)
        for answer in response.get("answers") or []:
            answer = as_object(answer)
            question = as_object(answer.get("question"))
            known = questions.get(str(question.get("id")), {})
            sub_type = question.get("sub_type") or known.get("sub_type")
            rating = as_int(answer.get("rating"))
            if answer.get("type") != "rating_scale" or sub_type != "customer_satisfaction":
                continue
            options = [as_int(as_object(o).get("rating")) for o in known.get("options") or []]
            points = max((o for o in options if o is not None), default=None)
            if rating is not None and points is None:
                points = _points_from_category(rating, answer.get("rating_category"))
            if rating is None or points is None or points < 2 or not 1 <= rating <= points:
                log.warning(
                    "Zendesk survey response %s has a rating off its scale (%r of %r); skipped",
                    response_id,
                    rating,
                    points,
                )
                return None
            given = parse_iso(answer.get("created_at")) or parse_iso(answer.get("updated_at"))
            return _Rated(
                source=SURVEY,
                rating_id=response_id,
                ticket_id=ticket_id,
                csat=_to_five(rating, points),
                rated_at=_within(given, start, end),
                given_at=given,
            )
        log.info(
            "Zendesk survey response %s (ticket %s) has no CSAT rating (unanswered, skipped or "
            "a comment only); skipped",
            response_id,
            ticket_id,
        )
        return None

    def _survey_questions(self, survey_id: str | None, version: int | None) -> dict[str, JSON]:
        """A survey version's questions by id (once per version); {} when it can't be read, and
        then a rating's scale comes from its rating_category."""
        if survey_id is None or version is None:
            return {}
        key = (survey_id, version)
        if key not in self._surveys:
            path = f"/api/v2/guide/{SURVEY_LOCALE}/surveys/{survey_id}/{version}"
            try:
                survey = as_object(self._http.get(path).get("survey"))
            except (HelpdeskNotFound, HelpdeskAuthError) as exc:
                log.warning("Zendesk survey %s v%s can't be read: %s", survey_id, version, exc)
                self._surveys[key] = None
            else:
                self._surveys[key] = {
                    str(q.get("id")): q
                    for q in survey.get("questions") or []
                    if isinstance(q, dict)
                }
        return self._surveys[key] or {}

    def _records(self, rated: list[_Rated]) -> Iterator[tuple[RatingRecord, str]]:
        """RatingRecords (and their source) for ratings, looking up tickets and users in batches."""
        if not rated:
            return
        tickets, solved = self._tickets(_ids(r.ticket_id for r in rated))

        def agent_id(r: _Rated) -> int | None:
            return r.assignee_id or as_int(tickets.get(r.ticket_id, {}).get("assignee_id"))

        self._load_users(_ids(agent_id(r) for r in rated))
        for r in rated:
            assignee = agent_id(r)
            agent = self._users.get(assignee, {}) if assignee is not None else {}
            name = clean(agent.get("name"))
            if name is None:
                log.warning(
                    "Zendesk rating %s (ticket %s) has no agent; skipped", r.rating_id, r.ticket_id
                )
                continue
            closed_at = solved.get(r.ticket_id) or r.given_at
            if closed_at is None:
                log.warning("Zendesk rating %s has no usable time; skipped", r.rating_id)
                continue
            ticket = tickets.get(r.ticket_id, {})
            tags = ticket.get("tags") or []
            record = RatingRecord(
                helpdesk=self.name,
                external_id=str(r.ticket_id),
                agent_name=name,
                agent_email=clean(agent.get("email")),
                closed_at=closed_at,
                csat=r.csat,
                queue=self._group_name(r.group_id or ticket.get("group_id")),
                tags=tuple(str(t) for t in tags if isinstance(t, str) and t),
                rated_at=r.rated_at,
            )
            yield record, r.source

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
