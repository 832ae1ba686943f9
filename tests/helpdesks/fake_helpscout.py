"""A fake Help Scout Mailbox API 2.0 on pytest-httpserver, answering as the vendor documents.

Sources (Help Scout's own reference, developer.helpscout.com/mailbox-api/):
- overview/authentication: client credentials grant, `POST /v2/oauth2/token` with grant_type,
  client_id and client_secret (form, JSON or query), answering token_type, access_token and
  expires_in (172800 s); "expiration will be indicated by the API responding with HTTP 401".
- overview/rate-limiting: 429, with X-RateLimit-Limit-Minute, X-RateLimit-Remaining-Minute and
  X-RateLimit-Retry-After (seconds to wait).
- overview/errors: error bodies `{"logRef", "message", "_embedded": {"errors": [...]}}`;
  "Malformed date": dates are yyyy-MM-dd'T'HH:mm:ss'Z'.
- endpoints/reports/happiness/reports-happiness-ratings: `GET /v2/reports/happiness/ratings`
  with start, end, mailboxes, tags, types, folders, page, sortField, sortOrder and rating
  (great, ok, all, not-good); answers facets, results (number, threadid, threadCreatedAt, id,
  type, ratingId, ratingCustomerId, ratingComments, ratingCreatedAt, ratingCustomerName,
  ratingUserId, ratingUserName), page, count, pages; ten results a page (the documented example:
  count 165, pages 17). Reports need a Plus or Pro plan (403 "Access denied" otherwise).
- endpoints/users/list and users/get: HAL `_embedded.users`, fifty a page, `page` object and
  `_links` (next while there is a next page).
- endpoints/mailboxes/list: HAL `_embedded.mailboxes` (id, name, slug, email, ...).
- endpoints/conversations/threads/list: HAL `_embedded.threads`, newest first; a thread has
  type (customer, message, note, lineitem, chat, phone, ...), state, body (HTML), customer
  {id, first, last, email} and createdBy {id, type (customer or user), first, last, email}.
Links point at https://api.helpscout.net as the real API's do, so the connector must map them
onto its base URL. Where the docs are silent the fake is stricter than Help Scout (it refuses
parameters it does not know) or takes the reading noted beside it.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

APP_ID = "hs-app-2f8c1e"
APP_SECRET = "hs-secret-9d41b7"
VENDOR = "https://api.helpscout.net"
TOKEN_LIFETIME = 172_800
REPORT_PAGE = 10  # results a page of the happiness ratings report
HAL_PAGE = 50  # items a page of the HAL lists (users, mailboxes, threads)
RATINGS = {"great": 1, "okay": 2, "not good": 3}
RATING_FILTER = {"all": None, "great": 1, "ok": 2, "not-good": 3}
REPORT_PARAMS = frozenset(
    {"start", "end", "previousStart", "previousEnd", "mailboxes", "tags", "types", "folders"}
    | {"page", "sortField", "sortOrder", "rating"}
)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LIMIT = 400  # requests a minute (the plan's limit; any figure will do)


def iso(moment: datetime | int | float) -> str:
    """Help Scout's timestamp format."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = "application/json" if status != 200 or "results" in body else "application/hal+json"
    response = Response(json.dumps(body), status=status, content_type=content)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error(status: int, message: str, *errors: dict[str, Any]) -> Response:
    body: dict[str, Any] = {
        "logRef": "64bb72b4-0a92-11e8-ba89-0ed5f89f718b",
        "message": message,
        "_links": {"about": {"href": "http://developer.helpscout.net/mailbox-api/overview/errors"}},
    }
    if errors:
        body["_embedded"] = {"errors": list(errors)}
    return _json(body, status)


def _bad_param(path: str, message: str, value: str | None = None) -> Response:
    error: dict[str, Any] = {"path": path, "message": message, "source": "QUERY_PARAM"}
    if value is not None:
        error["rejectedValue"] = value
    return _error(400, "Bad request", error)


@dataclass
class Failure:
    """Answer `status` to matching requests, `times` times (None: every time)."""

    path: str
    status: int
    page: int | None = None
    times: int | None = None


@dataclass
class FakeHelpScout:
    """Holds users, mailboxes, ratings and threads, and serves them like Help Scout does."""

    server: HTTPServer
    clock: Callable[[], float] = time.time
    thread_page: int = HAL_PAGE
    reports_plan: bool = True
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    hidden_users: dict[int, dict[str, Any]] = field(default_factory=dict)
    mailboxes: dict[int, str] = field(default_factory=dict)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    rate_limited: list[int] = field(default_factory=list)
    _sorted: list[dict[str, Any]] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        """The URL to give the connector as DEBRIEF_HELPSCOUT_BASE_URL."""
        return self.server.url_for("/").rstrip("/")

    # data

    def add_user(
        self, user_id: int, first: str, last: str, email: str, *, listed: bool = True
    ) -> None:
        """A user as GET /v2/users lists it; an unlisted one (deleted since) only by id."""
        user = {
            "id": user_id,
            "firstName": first,
            "lastName": last,
            "email": email,
            "role": "user",
            "timezone": "America/New_York",
            "photoUrl": "https://d33v4339jhl8k0.cloudfront.net/users/avatar.png",
            "createdAt": "2019-04-01T03:18:33Z",
            "updatedAt": "2024-07-24T20:18:33Z",
            "type": "user",
            "mention": first.lower(),
            "initials": f"{first[:1]}{last[:1]}",
            "jobTitle": "Support",
            "phone": "",
            "alternateEmails": [],
            "_links": {"self": {"href": f"{VENDOR}/v2/users/{user_id}"}},
        }
        (self.users if listed else self.hidden_users)[user_id] = user

    def add_rating(
        self,
        conversation_id: int,
        rating: str,
        *,
        user_id: int | None,
        at: datetime | int | float,
        mailbox: int = 1,
        user_name: str | None = None,
        customer: str = "Vernon Bear",
        comments: str = "",
        rating_id: int | None = None,
    ) -> None:
        """A rated reply: one row of the happiness ratings report (`rating` great/okay/not
        good; `rating_id` overrides the id the report shows)."""
        thread_id = 1_169_000_000 + next(self._ids)
        user = self.users.get(user_id or 0) or self.hidden_users.get(user_id or 0) or {}
        name = user_name or " ".join(filter(None, (user.get("firstName"), user.get("lastName"))))
        when = _epoch(iso(at))
        self.ratings.append(
            {
                "number": 200_000 + conversation_id % 100_000,
                "threadid": thread_id,
                "threadCreatedAt": iso(when - 1800),
                "id": conversation_id,
                "type": "email",
                "ratingId": rating_id if rating_id is not None else RATINGS[rating],
                "ratingCustomerId": 121_198_824,
                "ratingComments": comments,
                "ratingCreatedAt": iso(when),
                "ratingCustomerName": customer,
                "ratingUserId": user_id,
                "ratingUserName": name or None,
                "_at": when,
                "_mailbox": mailbox,
            }
        )
        self._sorted = None

    def add_thread(
        self,
        conversation_id: int,
        kind: str,
        body: str | None,
        *,
        by: dict[str, Any],
        customer: dict[str, Any],
        at: datetime | int | float,
        state: str = "published",
    ) -> None:
        """A thread as GET /v2/conversations/{id}/threads lists it (`by` is createdBy)."""
        thread = {
            "id": 1_234_000 + next(self._ids),
            "type": kind,
            "status": "active",
            "state": state,
            "action": {"type": "default", "text": "", "associatedEntities": {}},
            "body": body,
            "source": {"type": "email", "via": by.get("type", "user")},
            "customer": customer,
            "createdBy": by,
            "assignedTo": {"id": 1234, "type": "user", "first": "Jack", "last": "Sprout"},
            "to": [],
            "cc": [],
            "bcc": [],
            "createdAt": iso(at),
            "_embedded": {"attachments": []},
            "_links": {},
        }
        if kind == "lineitem":
            thread["action"] = {
                "type": "changed-ticket-status",
                "text": "Jack marked as Closed",
                "associatedEntities": {},
            }
        self.threads.setdefault(conversation_id, []).append(thread)

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (the API answers 401 to them)."""
        self.tokens = dict.fromkeys(self.tokens, 0.0)

    def rate_limit(self, retry_after: int, times: int = 1) -> None:
        """The next `times` API requests are refused with 429 and X-RateLimit-Retry-After."""
        self.rate_limited += [retry_after] * times

    def fail(self, path: str, status: int, *, page: int | None = None, times: int | None = None):
        """Requests on `path` (and report `page`) answer `status`, `times` times or for good."""
        self.failures.append(Failure(path, status, page, times))

    # server

    def install(self) -> FakeHelpScout:
        """Register every endpoint on the server."""
        server = self.server
        server.expect_request("/v2/oauth2/token", method="POST").respond_with_handler(self._token)
        routes: list[tuple[str | re.Pattern[str], Callable[[Request], Response]]] = [
            ("/v2/reports/happiness/ratings", self._report),
            ("/v2/users", self._list_users),
            (re.compile(r"^/v2/users/\d+$"), self._user),
            ("/v2/mailboxes", self._list_mailboxes),
            (re.compile(r"^/v2/conversations/\d+/threads$"), self._list_threads),
        ]
        for path, handler in routes:
            server.expect_request(path, method="GET").respond_with_handler(self._api(handler))
        return self

    def calls(self, path: str) -> list[Request]:
        """The requests the fake served on a path."""
        return [request for request, _ in self.server.log if request.path == path]

    def request_count(self) -> int:
        """Every request the fake served (token requests included)."""
        return len(self.server.log)

    def _token(self, request: Request) -> Response:
        if request.is_json:
            form = {str(k): str(v) for k, v in (request.get_json(silent=True) or {}).items()}
        else:
            form = dict(request.form) or dict(parse_qsl(request.query_string.decode()))
        if form.get("grant_type") != "client_credentials":
            return _json(
                {"error": "unsupported_grant_type", "error_description": "Unsupported grant"}, 400
            )
        if form.get("client_id") != APP_ID or form.get("client_secret") != APP_SECRET:
            # RFC 6749 5.2 invalid_client; Help Scout's exact body for it is not documented
            return _json({"error": "invalid_client", "error_description": "Bad credentials"}, 401)
        token = f"hs-token-{next(self._ids)}"
        self.tokens[token] = self.clock() + TOKEN_LIFETIME
        return _json({"token_type": "bearer", "access_token": token, "expires_in": TOKEN_LIFETIME})

    def _api(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
            if self.tokens.get(token, 0.0) <= self.clock():  # unknown, or expired
                return _error(401, "Unauthorized")
            headers = {"X-RateLimit-Limit-Minute": str(LIMIT)}
            if self.rate_limited:
                wait = self.rate_limited.pop(0)
                headers |= {
                    "X-RateLimit-Remaining-Minute": "0",
                    "X-RateLimit-Retry-After": str(wait),
                }
                return _json({"message": "API rate limit exceeded"}, 429, headers)
            for failure in self.failures:
                page = int(request.args.get("page", "1") or "1")
                if request.path == failure.path and failure.page in (None, page):
                    if failure.times is not None:
                        if failure.times <= 0:
                            continue
                        failure.times -= 1
                    return _error(failure.status, "Service unavailable")
            response = handler(request)
            response.headers["X-RateLimit-Limit-Minute"] = str(LIMIT)
            response.headers["X-RateLimit-Remaining-Minute"] = str(LIMIT - 1)
            return response

        return serve

    def _hal(self, request: Request, key: str, items: list[Any], size: int) -> Response:
        """One page of a HAL list, with Help Scout's `page` object and `_links`."""
        raw = request.args.get("page", "1")
        if not raw.isdigit() or int(raw) < 1:
            return _bad_param("page", "must be greater than or equal to 1", raw)
        page = int(raw)
        pages = max(1, math.ceil(len(items) / size))
        href = f"{VENDOR}{request.path}"
        links: dict[str, Any] = {
            "self": {"href": f"{href}?page={page}"},
            "first": {"href": f"{href}?page=1"},
            "last": {"href": f"{href}?page={pages}"},
            "page": {"href": f"{href}{{?page}}", "templated": True},
        }
        if page < pages:
            links["next"] = {"href": f"{href}?page={page + 1}"}
        body: dict[str, Any] = {
            "_links": links,
            "page": {
                "size": size,
                "totalElements": len(items),
                "totalPages": pages,
                "number": page,
            },
        }
        chunk = items[(page - 1) * size : page * size]
        if chunk:  # "_embedded" is left out when the page is empty
            body["_embedded"] = {key: chunk}
        return _json(body)

    def _list_users(self, request: Request) -> Response:
        users = sorted(self.users.values(), key=lambda u: u["id"])
        if email := request.args.get("email"):
            users = [u for u in users if u["email"] == email]
        return self._hal(request, "users", users, HAL_PAGE)

    def _user(self, request: Request) -> Response:
        user_id = int(request.path.rsplit("/", 1)[1])
        user = self.users.get(user_id) or self.hidden_users.get(user_id)
        return _json(user) if user else _error(404, "Resource not found")

    def _list_mailboxes(self, request: Request) -> Response:
        mailboxes = [
            {
                "id": mid,
                "name": name,
                "slug": f"slug{mid}",
                "email": f"{name.lower().replace(' ', '')}@acme.test",
                "createdAt": "2019-04-01T03:18:33Z",
                "updatedAt": "2024-07-24T20:18:33Z",
                "_links": {"self": {"href": f"{VENDOR}/v2/mailboxes/{mid}"}},
            }
            for mid, name in sorted(self.mailboxes.items())
        ]
        return self._hal(request, "mailboxes", mailboxes, HAL_PAGE)

    def _list_threads(self, request: Request) -> Response:
        conversation = int(request.path.split("/")[3])
        if conversation not in self.threads:
            return _error(404, "Resource not found")
        newest_first = sorted(
            self.threads[conversation], key=lambda t: (t["createdAt"], t["id"]), reverse=True
        )
        return self._hal(request, "threads", newest_first, self.thread_page)

    def _report(self, request: Request) -> Response:
        if not self.reports_plan:
            return _error(403, "Access denied")
        args = request.args
        unknown = sorted(set(args) - REPORT_PARAMS)
        if unknown:  # stricter than Help Scout, which is not documented to refuse them
            return _bad_param(unknown[0], "unknown parameter", args[unknown[0]])
        for name in ("start", "end"):
            if not DATE.match(args.get(name, "")):
                return _bad_param(name, "Malformed date", args.get(name))
        rating = args.get("rating", "all")
        if rating not in RATING_FILTER:
            return _bad_param("rating", "Expected one of these: great, ok, all, not-good", rating)
        raw_page = args.get("page", "1")
        if not raw_page.isdigit() or int(raw_page) < 1:
            return _bad_param("page", "must be greater than or equal to 1", raw_page)
        mailboxes = {int(m) for m in args.get("mailboxes", "").split(",") if m.strip().isdigit()}
        start, end = _epoch(args["start"]), _epoch(args["end"])
        if self._sorted is None:
            self._sorted = sorted(self.ratings, key=lambda r: r["_at"])
        times = [r["_at"] for r in self._sorted]
        # both ends taken as inclusive: the docs don't say, and this is the harder case
        chosen = self._sorted[bisect.bisect_left(times, start) : bisect.bisect_right(times, end)]
        wanted = RATING_FILTER[rating]
        chosen = [
            r
            for r in chosen
            if (wanted is None or r["ratingId"] == wanted)
            and (not mailboxes or r["_mailbox"] in mailboxes)
        ]
        chosen.sort(key=lambda r: (r["number"], r["threadid"]), reverse=True)  # not by time
        page, count = int(raw_page), len(chosen)
        results = [
            {k: v for k, v in r.items() if not k.startswith("_")}
            for r in chosen[(page - 1) * REPORT_PAGE : page * REPORT_PAGE]
        ]
        pages = math.ceil(count / REPORT_PAGE)
        # an empty report says page 0 of 0 (as Singer's tap-helpscout expects); else the page
        return _json(
            {
                "facets": {},
                "results": results,
                "page": page if count else 0,
                "count": count,
                "pages": pages,
            }
        )


def customer(first: str, last: str, email: str, customer_id: int = 29418) -> dict[str, Any]:
    """A thread's `customer` (or a customer's `createdBy`)."""
    return {
        "id": customer_id,
        "type": "customer",
        "first": first,
        "last": last,
        "photoUrl": "http://whatever-path-to-url/image.jpg",
        "email": email,
    }


def user(first: str, last: str, email: str, user_id: int = 4) -> dict[str, Any]:
    """A user's `createdBy`."""
    return {"id": user_id, "type": "user", "first": first, "last": last, "email": email}
