"""A fake Gorgias REST API on pytest-httpserver, answering as Gorgias documents it.

Sources (the vendor's reference, developers.gorgias.com):
- /reference/pagination: cursor pagination for every list: `cursor`, `limit` (default 30),
  `order_by`; answers `{"data": [...], "object": "list", "uri": ..., "meta": {"prev_cursor",
  "next_cursor"}}`, a null `next_cursor` on the last page; cursors are opaque (base64 JSON such as
  `["next", 29, 929]`).
- /reference/the-satisfactionsurvey-object and list satisfaction surveys
  (`GET /api/satisfaction-surveys`: `cursor`, `limit` 1-100, `order_by`
  `created_datetime:asc|desc` (default desc), `ticket_id`); `score` 1-5 or null, naive ISO
  datetimes such as "2019-11-16T15:59:41.966927".
- /reference/the-user-object and list users (`GET /api/users`: `cursor`, `limit` 1-100,
  `order_by` (default `name:asc`), `email`, `external_id`, `roles`, `search`, `available_first`);
  `GET /api/users/{id}`.
- /reference/the-ticket-object, list tickets (`GET /api/tickets`: `cursor`, `limit` 1-100,
  `order_by`, `customer_id`, `trashed`, `external_id`, `view_id`, `rule_id`, `ticket_ids`
  repeated, 1-100 of them) and retrieve a ticket (`GET /api/tickets/{id}`, with its messages).
- /reference/the-ticketmessage-object and list messages (`GET /api/messages`: `cursor`,
  `limit` 1-100, `order_by` `created_datetime:asc|desc` (default desc), `ticket_id`); internal
  notes have `public: false` and channel `internal-note`.
- /reference/errors: 400 for missing, invalid or unknown parameters (details under the body's
  `error`), 401 unauthenticated, 403 forbidden, 404 not found, 429 too many requests. The error
  body `{"error": {"msg": ..., "data": {field: [reasons]}}}` is the one gorgias/gorgias-api-docs
  shows (src/components/pages/Errors.js); the 401/429 bodies are not documented, so the same
  shape is used.
- /reference/limitations: a leaky bucket (40 calls per 20 s for an API key); 429 with
  `Retry-After` (seconds) and `X-Gorgias-Account-Api-Call-Limit: used/limit` on every answer.
- Authentication: HTTP basic, the REST API user's email as username and the API key as password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EMAIL = "api@acme.test"
API_KEY = "gorgias-key-789"
MAX_LIMIT = 100
BUCKET = 40
T0 = datetime(2024, 5, 1, tzinfo=UTC)

Handler = Callable[[Request], Response]


def iso(moment: datetime) -> str:
    """Gorgias's datetime format: naive UTC with microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _error(status: int, msg: str, data: dict[str, list[str]] | None = None) -> Response:
    body: dict[str, Any] = {"error": {"msg": msg}}
    if data:
        body["error"]["data"] = data
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class _Throttle:
    times: int
    retry_after: int


@dataclass
class FakeGorgias:
    """Holds users, tickets, surveys and messages, and serves them like Gorgias does."""

    server: HTTPServer
    page_size: int = 3  # the most a page holds here, below what `limit` asks, to exercise paging
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    unlisted_users: dict[int, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    surveys: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    bucket: int = 1  # the calls the account's bucket holds after each answer (40 = full)
    ticket_ids_supported: bool = True
    _throttles: dict[str, _Throttle] = field(default_factory=dict)
    _outages: dict[str, tuple[int, int]] = field(default_factory=dict)
    _served: dict[str, int] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The URL to give the connector as DEBRIEF_GORGIAS_BASE_URL."""
        return self.server.url_for("/").rstrip("/")

    # ---- data -------------------------------------------------------------------------------

    def add_user(self, user_id: int, name: str, email: str, *, listed: bool = True) -> None:
        """A helpdesk user (an agent) as GET /api/users returns it."""
        first, _, last = name.partition(" ")
        user = {
            "id": user_id,
            "active": True,
            "bio": None,
            "country": "US",
            "created_datetime": iso(T0 - timedelta(days=400)),
            "email": email,
            "external_id": None,
            "firstname": first,
            "lastname": last,
            "language": "en",
            "meta": {},
            "name": name,
            "role": {"name": "agent"},
            "timezone": "UTC",
            "updated_datetime": iso(T0 - timedelta(days=30)),
        }
        (self.users if listed else self.unlisted_users)[user_id] = user

    def add_ticket(
        self,
        ticket_id: int,
        *,
        assignee_id: int | None,
        team: tuple[int, str] | None = None,
        tags: tuple[str, ...] = (),
        closed: datetime | None = T0,
        created: datetime | None = None,
        customer: tuple[int, str, str] = (9000, "Dana Whitfield", "dana@example.com"),
    ) -> None:
        """A ticket in the documented shape, assigned to a listed (or unlisted) user."""
        created = created or (closed or T0) - timedelta(hours=3)
        agent = self.users.get(assignee_id or 0) or self.unlisted_users.get(assignee_id or 0)
        customer_id, customer_name, customer_email = customer
        first, _, last = customer_name.partition(" ")
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "uri": f"/api/tickets/{ticket_id}/",
            "external_id": None,
            "status": "closed" if closed else "open",
            "priority": "normal",
            "channel": "email",
            "via": "email",
            "from_agent": False,
            "spam": False,
            "customer": {
                "id": customer_id,
                "email": customer_email,
                "name": customer_name,
                "firstname": first,
                "lastname": last,
            },
            "assignee_user": (
                {k: agent[k] for k in ("id", "email", "name", "firstname", "lastname", "meta")}
                if agent
                else None
            ),
            "assignee_user_id": assignee_id,
            "assignee_team": (
                {"id": team[0], "name": team[1], "decoration": None} if team else None
            ),
            "assignee_team_id": team[0] if team else None,
            "language": "en",
            "subject": f"Order question {ticket_id}",
            "meta": None,
            "tags": [
                {"id": 700 + n, "name": tag, "uri": f"/api/tags/{700 + n}/", "decoration": None}
                for n, tag in enumerate(tags)
            ],
            "created_datetime": iso(created),
            "opened_datetime": iso(created),
            "last_received_message_datetime": iso(created),
            "last_message_datetime": iso(closed or created),
            "updated_datetime": iso(closed or created),
            "closed_datetime": iso(closed) if closed else None,
            "snooze_datetime": None,
            "trashed_datetime": None,
        }

    def add_survey(
        self,
        ticket_id: int,
        score: int | None,
        *,
        scored: datetime | None,
        created: datetime | None = None,
        comment: str | None = None,
        customer_id: int = 9000,
    ) -> dict[str, Any]:
        """A satisfaction survey in the documented shape (one a ticket)."""
        survey_id = 40_000 + len(self.surveys)
        created = created or (scored or T0) - timedelta(days=1)
        survey = {
            "id": survey_id,
            "body_text": comment,
            "created_datetime": iso(created),
            "customer_id": customer_id,
            "meta": None,
            "score": score,
            "scored_datetime": iso(scored) if scored else None,
            "sent_datetime": iso(created + timedelta(hours=1)),
            "should_send_datetime": iso(created + timedelta(hours=1)),
            "ticket_id": ticket_id,
            "uri": f"/api/satisfaction-surveys/{survey_id}/",
        }
        self.surveys.append(survey)
        return survey

    def add_rating(
        self,
        ticket_id: int,
        score: int,
        *,
        agent_id: int | None,
        scored: datetime,
        closed: datetime | None = None,
        **ticket: Any,
    ) -> None:
        """A closed ticket and its scored survey."""
        closed = closed or scored - timedelta(hours=20)
        self.add_ticket(ticket_id, assignee_id=agent_id, closed=closed, **ticket)
        self.add_survey(ticket_id, score, scored=scored, created=closed + timedelta(minutes=5))

    def add_message(
        self,
        ticket_id: int,
        *,
        from_agent: bool,
        html: str,
        text: str | None = None,
        stripped: str | None = None,
        note: bool = False,
        rule_id: int | None = None,
        sender: tuple[int, str, str] = (9000, "Dana Whitfield", "dana@example.com"),
    ) -> None:
        """A ticket message in the documented shape; a note is an internal note."""
        thread = self.messages.setdefault(ticket_id, [])
        message_id = 924_000 + sum(len(t) for t in self.messages.values())
        sender_id, sender_name, sender_email = sender
        first, _, last = sender_name.partition(" ")
        created = T0 + timedelta(minutes=len(thread))
        channel = "internal-note" if note else "email"
        thread.append(
            {
                "id": message_id,
                "uri": f"/api/tickets/{ticket_id}/messages/{message_id}/",
                "message_id": f"<{message_id}@mail.test>",
                "ticket_id": ticket_id,
                "external_id": None,
                "public": not note,
                "channel": channel,
                "via": "helpdesk" if from_agent else "email",
                "source": {
                    "type": channel,
                    "from": {"name": sender_name, "address": sender_email},
                    "to": [],
                },
                "sender": {
                    "id": sender_id,
                    "email": sender_email,
                    "name": sender_name,
                    "firstname": first,
                    "lastname": last,
                },
                "receiver": None,
                "integration_id": None,
                "rule_id": rule_id,
                "from_agent": from_agent,
                "subject": f"Re: Order question {ticket_id}",
                "body_text": text if text is not None else re.sub(r"<[^>]+>", "", html),
                "body_html": html,
                "stripped_text": stripped,
                "stripped_html": None,
                "attachments": [],
                "created_datetime": iso(created),
                "sent_datetime": iso(created),
                "failed_datetime": None,
                "opened_datetime": None,
            }
        )

    # ---- behaviour on demand ------------------------------------------------------------

    def throttle(self, path: str, *, times: int = 1, retry_after: int = 5) -> None:
        """The next `times` calls to `path` are answered 429 with Retry-After."""
        self._throttles[path] = _Throttle(times, retry_after)

    def fail(self, path: str, *, after: int, status: int = 503) -> None:
        """Once `path` has been served `after` times, answer it `status` from then on."""
        self._outages[path] = (after, status)

    def calls(self, path: str) -> list[Request]:
        """The requests the fake answered on a path."""
        return [request for request, _ in self.server.log if request.path == path]

    def install(self) -> FakeGorgias:
        """Register every endpoint on the server."""
        routes: list[tuple[str | re.Pattern[str], Handler]] = [
            ("/api/satisfaction-surveys", self._surveys),
            ("/api/users", self._list_users),
            (re.compile(r"^/api/users/[^/]+$"), self._user),
            ("/api/tickets", self._list_tickets),
            (re.compile(r"^/api/tickets/[^/]+$"), self._ticket),
            ("/api/messages", self._list_messages),
        ]
        for path, handler in routes:
            self.server.expect_request(path, method="GET").respond_with_handler(
                self._guard(handler)
            )
        return self

    # ---- plumbing ---------------------------------------------------------------------------

    def _guard(self, handler: Handler) -> Handler:
        """Basic auth exactly as documented, then outages and 429s on demand, then the call
        limit header on every answer."""
        expected = "Basic " + base64.b64encode(f"{EMAIL}:{API_KEY}".encode()).decode()

        def check(request: Request) -> Response:
            response = self._answer(request, handler, expected)
            full = response.status_code == 429
            response.headers["X-Gorgias-Account-Api-Call-Limit"] = (
                f"{BUCKET if full else self.bucket}/{BUCKET}"
            )
            return response

        return check

    def _answer(self, request: Request, handler: Handler, expected: str) -> Response:
        if request.headers.get("Authorization") != expected:
            return _error(401, "Authentication required. Check your API credentials.")
        key = self._route_key(request.path)
        outage = self._outages.get(key)
        if outage is not None and self._served.get(key, 0) >= outage[0]:
            return _error(outage[1], "Service unavailable.")
        throttle = self._throttles.get(key)
        if throttle is not None and throttle.times > 0:
            throttle.times -= 1
            response = _error(429, "Too many requests. Retry later.")
            response.headers["Retry-After"] = str(throttle.retry_after)
            return response
        response = handler(request)
        if response.status_code < 300:
            self._served[key] = self._served.get(key, 0) + 1
        return response

    @staticmethod
    def _route_key(path: str) -> str:
        return re.sub(r"/\d+$", "/{id}", path)

    def _list(
        self,
        request: Request,
        items: list[dict[str, Any]],
        *,
        allowed: set[str],
        orders: dict[str, Callable[[dict[str, Any]], Any]],
        default_order: str,
    ) -> Response:
        """Cursor pagination over `items`, refusing unknown or malformed parameters."""
        unknown = sorted(set(request.args) - allowed - {"cursor", "limit", "order_by"})
        if unknown:
            return _error(400, "Invalid request.", {k: ["Unknown field."] for k in unknown})
        raw_limit = request.args.get("limit", "30")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            return _error(
                400, "Invalid request.", {"limit": [f"Must be between 1 and {MAX_LIMIT}."]}
            )
        order_by = request.args.get("order_by", default_order)
        if order_by not in orders:
            return _error(
                400, "Invalid request.", {"order_by": [f"Must be one of: {', '.join(orders)}."]}
            )
        scope = hashlib.sha1(
            json.dumps(
                [request.path, order_by, sorted((k, request.args.getlist(k)) for k in allowed)]
            ).encode()
        ).hexdigest()[:8]
        field_key = orders[order_by]
        descending = order_by.endswith(":desc")
        ordered = sorted(items, key=lambda i: (field_key(i), i["id"]), reverse=descending)
        start = 0
        if "cursor" in request.args:
            position = _decode_cursor(request.args["cursor"])
            if position is None or position[1] != scope:
                return _error(400, "Invalid request.", {"cursor": ["Invalid cursor."]})
            after = (position[2], position[3])

            def past(item: dict[str, Any]) -> bool:  # strictly beyond the cursor's item
                key = (field_key(item), item["id"])
                return key < after if descending else key > after

            start = next((n for n, item in enumerate(ordered) if past(item)), len(ordered))
        size = min(int(raw_limit), self.page_size)
        chunk = ordered[start : start + size]
        more = start + size < len(ordered)
        last = chunk[-1] if chunk else None
        next_cursor = (
            _encode_cursor(["next", scope, field_key(last), last["id"]]) if more and last else None
        )
        prev_cursor = (
            _encode_cursor(["prev", scope, field_key(chunk[0]), chunk[0]["id"]])
            if start and chunk
            else None
        )
        body = {
            "data": chunk,
            "object": "list",
            "uri": request.full_path.rstrip("?"),
            "meta": {"prev_cursor": prev_cursor, "next_cursor": next_cursor},
        }
        return Response(json.dumps(body), status=200, content_type="application/json")

    # ---- endpoints --------------------------------------------------------------------------

    def _surveys(self, request: Request) -> Response:
        items = self.surveys
        if "ticket_id" in request.args:
            items = [s for s in items if str(s["ticket_id"]) == request.args["ticket_id"]]
        created = _field("created_datetime")
        return self._list(
            request,
            items,
            allowed={"ticket_id"},
            orders={"created_datetime:asc": created, "created_datetime:desc": created},
            default_order="created_datetime:desc",
        )

    def _list_users(self, request: Request) -> Response:
        items = list(self.users.values())
        if "email" in request.args:
            items = [u for u in items if u["email"] == request.args["email"]]
        orders: dict[str, Callable[[dict[str, Any]], Any]] = {}
        for name in ("created_datetime", "name", "email"):
            for way in ("asc", "desc"):
                orders[f"{name}:{way}"] = _field(name)
        for way in ("asc", "desc"):
            orders[f"role.name:{way}"] = lambda u: u["role"]["name"]
        return self._list(
            request,
            items,
            allowed={"email", "external_id", "roles", "search", "available_first"},
            orders=orders,
            default_order="name:asc",
        )

    def _user(self, request: Request) -> Response:
        raw = request.path.rsplit("/", 1)[1]
        user_id = int(raw) if raw.isdigit() else -1
        user = self.users.get(user_id) or self.unlisted_users.get(user_id)
        if user is None:
            return _error(404, "Resource not found.")
        return Response(json.dumps(user), status=200, content_type="application/json")

    def _list_tickets(self, request: Request) -> Response:
        items = list(self.tickets.values())
        ids = request.args.getlist("ticket_ids")
        if ids and self.ticket_ids_supported:
            if len(ids) > MAX_LIMIT or not all(i.isdigit() and int(i) >= 1 for i in ids):
                return _error(
                    400,
                    "Invalid request.",
                    {"ticket_ids": [f"Between 1 and {MAX_LIMIT} ticket ids (integers >= 1)."]},
                )
            wanted = {int(i) for i in ids}
            items = [self.tickets[i] for i in sorted(wanted) if i in self.tickets]
        allowed = {"customer_id", "trashed", "external_id", "view_id", "rule_id"}
        if self.ticket_ids_supported:
            allowed.add("ticket_ids")
        orders: dict[str, Callable[[dict[str, Any]], Any]] = {}
        for name in ("created_datetime", "updated_datetime"):
            for way in ("asc", "desc"):
                orders[f"{name}:{way}"] = _field(name)
        return self._list(
            request,
            items,
            allowed=allowed,
            orders=orders,
            default_order="created_datetime:desc",
        )

    def _ticket(self, request: Request) -> Response:
        raw = request.path.rsplit("/", 1)[1]
        ticket = self.tickets.get(int(raw)) if raw.isdigit() else None
        if ticket is None:
            return _error(404, "Resource not found.")
        body = {**ticket, "messages": self.messages.get(ticket["id"], [])}
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _list_messages(self, request: Request) -> Response:
        items = [m for thread in self.messages.values() for m in thread]
        if "ticket_id" in request.args:
            items = [m for m in items if str(m["ticket_id"]) == request.args["ticket_id"]]
        created = _field("created_datetime")
        return self._list(
            request,
            items,
            allowed={"ticket_id"},
            orders={"created_datetime:asc": created, "created_datetime:desc": created},
            default_order="created_datetime:desc",
        )


def _field(name: str) -> Callable[[dict[str, Any]], Any]:
    """The sort key of `order_by=<name>:...`."""
    return lambda item: item[name]


def _encode_cursor(position: list[Any]) -> str:
    return base64.b64encode(json.dumps(position).encode()).decode()


def _decode_cursor(cursor: str) -> list[Any] | None:
    try:
        position = json.loads(base64.b64decode(cursor, validate=True))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(position, list) or len(position) != 4 or position[0] != "next":
        return None
    return position
