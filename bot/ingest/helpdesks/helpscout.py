"""Help Scout (Mailbox API 2.0): happiness ratings, their users and mailboxes, and threads.

Ratings come from the company happiness ratings report, `GET /v2/reports/happiness/ratings`
(`start`, `end`, `rating=all`, `mailboxes`, `page`; ten results a page, `page`/`pages`/`count`
beside them). Help Scout's three ratings map onto Debrief's 1-5 scale as

    Great (ratingId 1) -> 5,  Okay (ratingId 2) -> 3,  Not Good (ratingId 3) -> 1

and anything else (no rating, "unknown") is not a CSAT: it is skipped with a log line.

Order: the report can't be sorted by the time it filters on (its sort fields are number,
modifiedAt and rating), so the span since `since` is read in windows (a week at most, halved
while a window holds more than MAX_WINDOW ratings, so at most that many are held at once);
each window's pages are read whole, sorted by `ratingCreatedAt` and yielded, oldest window
first. `rated_at` is that time (kept inside its window), so a sync that stops part-way resumes
where it stopped. Each window is read once per mailbox (`mailboxes=<id>`), which is how a
rating gets its queue (the mailbox's name) without a request per conversation; tags would
need one (`GET /v2/conversations/{id}`) and are not read.

Auth: OAuth2 client credentials (`POST /v2/oauth2/token`) with DEBRIEF_HELPSCOUT_APP_ID and
_APP_SECRET. The token is kept for the process (Help Scout asks for a new one only once the
old one expires) and fetched again before `expires_in` runs out, or when the API answers 401
(how Help Scout says a token expired). Rate limit: 429 with `X-RateLimit-Retry-After`, which
HelpdeskHttp waits out.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
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
from bot.ingest.helpdesks.connector import Directory, HttpConnector
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

DEFAULT_BASE_URL = "https://api.helpscout.net"
TOKEN_PATH = "/v2/oauth2/token"
RATINGS_PATH = "/v2/reports/happiness/ratings"
AUTH_HINT = (
    "Help Scout refused the credentials: check DEBRIEF_HELPSCOUT_APP_ID and "
    "DEBRIEF_HELPSCOUT_APP_SECRET (the app's user needs Reports, on a Plus or Pro plan)"
)
SCORES = {1: 5.0, 2: 3.0, 3: 1.0}  # the report's ratingId: Great, Okay, Not Good
WINDOW = timedelta(days=7)  # the longest span read (and sorted) at once
MIN_WINDOW = timedelta(minutes=1)  # a window is not halved below this
MAX_WINDOW = 1000  # ratings a window may hold before it is halved
TOKEN_MARGIN = 60.0  # seconds before `expires_in` runs out that a new token is fetched
MESSAGES = frozenset({"customer", "message", "reply", "chat", "phone", "beaconchat"})
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # Help Scout's date parameters: whole seconds, UTC
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

log = logging.getLogger("bot.helpdesks.helpscout")  # its name before bot/ingest/


def _stamp(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def _full_name(first: Any, last: Any) -> str | None:
    return clean(" ".join(part for part in (clean(first), clean(last)) if part))


def _embedded(data: JSON, key: str) -> list[JSON]:
    """The objects of a HAL list (`_embedded` is left out when the list is empty)."""
    items = as_object(data.get("_embedded")).get(key)
    return [item for item in items or [] if isinstance(item, dict)]


def _next_href(data: JSON) -> str | None:
    """A HAL page's `_links.next.href`, when there is a next page."""
    return clean(as_object(as_object(data.get("_links")).get("next")).get("href"))


class _TokenCache:
    """Access tokens by (token URL, app id, secret digest), shared by the process's connectors."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str, str], now: float) -> str | None:
        with self._lock:
            token, expires = self._tokens.get(key, ("", 0.0))
        return token if token and now < expires else None

    def put(self, key: tuple[str, str, str], token: str, expires: float) -> None:
        with self._lock:
            self._tokens[key] = (token, expires)

    def drop(self, key: tuple[str, str, str], token: str) -> None:
        with self._lock:
            if self._tokens.get(key, ("", 0.0))[0] == token:
                del self._tokens[key]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


TOKENS = _TokenCache()


class ClientCredentials(httpx.Auth):
    """Bearer auth from Help Scout's client credentials grant, fetched and refreshed as needed.

    A refused grant (400/401/403) raises HelpdeskAuthError, any other answer without a token
    HelpdeskError; a token endpoint that is down or rate-limited (5xx, 429) hands its answer
    back, so HelpdeskHttp retries or waits as for any request."""

    requires_response_body = True

    def __init__(
        self, *, base_url: str, app_id: str, app_secret: str, clock: Callable[[], float]
    ) -> None:
        self.token_url = base_url.rstrip("/") + TOKEN_PATH
        self._form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": app_secret,
        }
        digest = hashlib.sha256(app_secret.encode()).hexdigest()
        self._key = (self.token_url, app_id, digest)
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = TOKENS.get(self._key, self._clock())
        fresh = token is None
        if token is None:
            token = yield from self._fetch()
            if token is None:
                return
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401 or fresh:
            return
        TOKENS.drop(self._key, token)  # expired (or revoked): one new token, one more try
        token = yield from self._fetch()
        if token is not None:
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def _fetch(self) -> Generator[httpx.Request, httpx.Response, str | None]:
        """A new token (also cached), or None when the token endpoint failed for now."""
        response = yield httpx.Request(
            "POST", self.token_url, data=self._form, headers={"Accept": "application/json"}
        )
        status = response.status_code
        if status in (400, 401, 403):  # invalid_client, invalid_request, ...
            raise HelpdeskAuthError(AUTH_HINT)
        if status == 429 or status >= 500:
            return None  # the caller sees this answer and waits or retries
        try:
            body = response.json() if status == 200 else None
        except ValueError:
            body = None
        token = clean(as_object(body).get("access_token"))
        if token is None:
            raise HelpdeskError(
                f"Help Scout answered POST {TOKEN_PATH} with HTTP {status} and no access token: "
                "check DEBRIEF_HELPSCOUT_BASE_URL"
            )
        lifetime = as_object(body).get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 7200.0
        TOKENS.put(self._key, token, self._clock() + max(0.0, seconds - TOKEN_MARGIN))
        return token


class HelpScoutHelpdesk(HttpConnector):
    """Reads happiness ratings and conversation threads from one Help Scout account."""

    name = "helpscout"
    ordered = True  # oldest first by ratingCreatedAt, window by window (see the module doc)

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        base_url: str = DEFAULT_BASE_URL,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = HelpdeskHttp(
            vendor="Help Scout",
            base_url=base_url,
            auth_hint=AUTH_HINT,
            auth=ClientCredentials(
                base_url=base_url, app_id=app_id, app_secret=app_secret, clock=clock
            ),
            policy=policy,
            sleep=sleep,
            clock=clock,
            transport=transport,
        )
        self._clock = clock
        self._users = Directory[int](self._list_users, self._fetch_user)
        self._mailboxes: dict[int, str] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
    ) -> HelpScoutHelpdesk:
        """A connector from the DEBRIEF_HELPSCOUT_* settings; SettingsError names a missing one."""
        if not settings.helpscout_app_id:
            raise SettingsError(
                "DEBRIEF_HELPSCOUT_APP_ID is not set (Your Profile > My Apps in Help Scout)"
            )
        if not settings.helpscout_app_secret:
            raise SettingsError("DEBRIEF_HELPSCOUT_APP_SECRET is not set (the app's secret)")
        return cls(
            app_id=settings.helpscout_app_id,
            app_secret=settings.helpscout_app_secret,
            base_url=settings.helpscout_base_url or DEFAULT_BASE_URL,
            sleep=sleep,
            policy=policy,
        )

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        """Every happiness rating given at or after `since`, oldest first, with user and mailbox."""
        start = as_utc(since).replace(microsecond=0)
        end = datetime.fromtimestamp(int(self._clock()), tz=UTC)
        mailboxes = self._mailbox_names()
        while start < end:
            stop = min(start + WINDOW, end)
            for window in self._windows(start, stop, list(mailboxes) or [None]):
                yield from window
            start = stop

    def transcript(self, external_id: str) -> Transcript:
        """The conversation's customer and user messages, oldest first (notes and line items
        left out), and its customer."""
        conversation = external_id.strip()
        if not is_number(conversation):
            raise HelpdeskNotFound(f"Help Scout has no conversation {external_id!r}")
        try:
            threads = list(self._hal_list(f"/v2/conversations/{conversation}/threads", "threads"))
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Help Scout has no conversation {conversation}") from None
        threads.sort(
            key=lambda t: (parse_iso(t.get("createdAt")) or EPOCH, as_int(t.get("id")) or 0)
        )
        turns: list[tuple[str, str]] = []
        customer: JSON = {}
        for thread in threads:
            if not self._is_message(thread):
                continue
            author = as_object(thread.get("createdBy"))
            speaker = self._speaker(thread, author)
            if speaker == CUSTOMER and not customer:
                customer = as_object(thread.get("customer")) or author
            body = thread.get("body")
            if isinstance(body, str):
                turns.append((speaker, html_to_text(body)))
        if not customer:  # no message from the customer: the conversation's customer, if named
            customer = next(
                (as_object(t.get("customer")) for t in threads if t.get("customer")), {}
            )
        return Transcript(
            text=transcript_text(turns),
            customer_name=_full_name(customer.get("first"), customer.get("last")),
            customer_email=clean(customer.get("email")),
        )

    # ratings

    def _windows(
        self, start: datetime, stop: datetime, mailboxes: list[int | None]
    ) -> Iterator[list[RatingRecord]]:
        """The ratings of [start, stop] as sorted lists, halving the span while it holds more
        than MAX_WINDOW ratings (each list is held whole, so its size is bounded)."""
        firsts = [(mailbox, self._report(start, stop, mailbox, 1)) for mailbox in mailboxes]
        total = sum(as_int(page.get("count")) or 0 for _, page in firsts)
        if total > MAX_WINDOW and stop - start >= 2 * MIN_WINDOW:
            middle = start + timedelta(seconds=int((stop - start).total_seconds()) // 2)
            yield from self._windows(start, middle, mailboxes)
            yield from self._windows(middle, stop, mailboxes)
            return
        found: list[tuple[JSON, int | None]] = []
        for mailbox, first in firsts:
            found += [(result, mailbox) for result in self._pages(start, stop, mailbox, first)]
        records = [self._record(result, mailbox, start, stop) for result, mailbox in found]
        kept = [r for r in records if r is not None]
        kept.sort(key=lambda r: (r.rated_at or start, r.external_id))
        yield kept

    def _report(self, start: datetime, stop: datetime, mailbox: int | None, page: int) -> JSON:
        params: dict[str, str | int] = {
            "start": _stamp(start),
            "end": _stamp(stop),
            "rating": "all",
        }
        if mailbox is not None:
            params["mailboxes"] = mailbox
        if page > 1:
            params["page"] = page
        return self._http.get(RATINGS_PATH, params)

    def _pages(
        self, start: datetime, stop: datetime, mailbox: int | None, first: JSON
    ) -> Iterator[JSON]:
        """The results of every page, from the first one already read."""
        data, page = first, 1
        while True:
            results = [r for r in data.get("results") or [] if isinstance(r, dict)]
            yield from results
            pages = as_int(data.get("pages")) or 0
            if not results or page >= pages:
                return
            page += 1
            data = self._report(start, stop, mailbox, page)

    def _record(
        self, result: JSON, mailbox: int | None, start: datetime, stop: datetime
    ) -> RatingRecord | None:
        conversation = as_int(result.get("id"))
        rated = parse_iso(result.get("ratingCreatedAt"))
        score = SCORES.get(as_int(result.get("ratingId")) or 0)
        if score is None:
            log.info(
                "Help Scout conversation %s: rating %r is not a CSAT; skipped",
                conversation,
                result.get("ratingId"),
            )
            return None
        if conversation is None or rated is None:
            log.warning(
                "Help Scout rating without a conversation or time skipped (%s)", conversation
            )
            return None
        user_id = as_int(result.get("ratingUserId"))
        user = self._users.get(user_id)
        name = _full_name(user.get("firstName"), user.get("lastName")) or clean(
            result.get("ratingUserName")
        )
        if name is None:
            log.warning("Help Scout conversation %s: rating names no user; skipped", conversation)
            return None
        return RatingRecord(
            helpdesk=self.name,
            external_id=str(conversation),
            agent_name=name,
            agent_email=clean(user.get("email")),
            closed_at=rated,
            csat=score,
            queue=clean(self._mailbox_names().get(mailbox)) if mailbox is not None else None,
            rated_at=min(max(rated, start), stop),
        )

    def _list_users(self) -> Iterator[tuple[int, JSON]]:
        """Every user (GET /v2/users, fifty a page), read once (see Directory)."""
        users = self._hal_list("/v2/users", "users")
        return ((u["id"], u) for u in users if as_int(u.get("id")) is not None)

    def _fetch_user(self, user_id: int) -> JSON:
        return self._http.get(f"/v2/users/{user_id}")

    def _mailbox_names(self) -> dict[int, str]:
        """Every mailbox the app's user sees, by id (GET /v2/mailboxes, read once)."""
        if self._mailboxes is None:
            self._mailboxes = {
                m["id"]: str(m.get("name") or "")
                for m in self._hal_list("/v2/mailboxes", "mailboxes")
                if as_int(m.get("id")) is not None
            }
        return self._mailboxes

    def assignee(self, external_id: str) -> tuple[str, str | None] | None:
        """The conversation's assigned user as (name, email); None when nobody is assigned."""
        conversation = external_id.strip()
        if not is_number(conversation):
            raise HelpdeskNotFound(f"Help Scout has no conversation {external_id!r}")
        try:
            found = self._http.get(f"/v2/conversations/{conversation}")
        except HelpdeskNotFound:
            raise HelpdeskNotFound(f"Help Scout has no conversation {conversation}") from None
        user = as_object(found.get("assignee"))
        name = _full_name(user.get("first"), user.get("last"))
        return (name, clean(user.get("email"))) if name else None

    def _hal_list(self, path: str, key: str, params: Params | None = None) -> Iterator[JSON]:
        """Every item of a HAL list, following `_links.next` to the last page."""
        for data in self._http.follow(path, params, _next_href):
            yield from _embedded(data, key)

    # threads

    @staticmethod
    def _is_message(thread: JSON) -> bool:
        """A customer or user message that was sent: not a note, line item, forward or draft."""
        kind = str(thread.get("type") or "")
        state = thread.get("state")
        return kind in MESSAGES and state in (None, "published")

    @staticmethod
    def _speaker(thread: JSON, author: JSON) -> str:
        """Customer for what a customer wrote, Agent for what a user (or Help Scout) wrote."""
        kind = str(author.get("type") or "")
        if kind:
            return CUSTOMER if kind == "customer" else AGENT
        return CUSTOMER if thread.get("type") == "customer" else AGENT
