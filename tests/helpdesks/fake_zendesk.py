"""A fake Zendesk Support API on pytest-httpserver, answering with the documented payload shapes.

Shapes from developer.zendesk.com/api-reference (Ticketing API):
- ticket-management/csat_survey_responses (List Survey Responses: filter[created_at_start] and
  filter[created_at_end] in epoch milliseconds, sort "id"/"-id", cursor pages whose example
  answer carries only `meta` {after_cursor, before_cursor, has_more}; the response object with
  answers, subjects, subject_zrns, survey {id, state, version}; errors as {"errors": [...]})
- ticket-management/csat_surveys (Show Survey By Id And Version; the latest version when asked
  for a later one; 404 "The survey could not be found")
- ticket-management/satisfaction_ratings (legacy: score, start_time, end_time in epoch seconds)
- introduction/pagination (page[size] at most 100; cursor or offset pagination) and rate limits
  (429 with Retry-After)
What a list does with a filter the docs leave open is the fake's reading: created_at_start/_end
and start_time/end_time are inclusive, on when the rating (or the survey response) was created.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EMAIL = "admin@acme.test"
TOKEN = "zd-token-123"
SHOW_MANY_LIMIT = 100
NOW = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)  # the connector fixture's clock
PAGE_LIMIT = 100
SURVEY_ID = "01JQ6F1H5B9XSM626BT0M1R0W4"
RESPONSES = "/api/v2/guide/survey_responses"
RATINGS = "/api/v2/satisfaction_ratings.json"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RESPONSE_PARAMS = frozenset(
    {"filter[created_at_start]", "filter[created_at_end]", "filter[responder_ids]"}
    | {"filter[subject_zrns]", "sort", "page[size]", "page[after]", "page[before]"}
)
RATING_PARAMS = frozenset(
    {"score", "start_time", "end_time", "page", "per_page", "page[size]", "page[after]"}
    | {"page[before]", "sort"}
)
SCORES = frozenset(
    {"offered", "unoffered", "received", "received_with_comment", "received_without_comment"}
    | {"good", "good_with_comment", "good_without_comment"}
    | {"bad", "bad_with_comment", "bad_without_comment"}
)


def iso(epoch: int) -> str:
    """Zendesk's timestamp format."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(epoch: float) -> str:
    """The survey API's timestamp format, with milliseconds."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ulid(millis: int, serial: int) -> str:
    """A ULID-shaped id (what Zendesk's survey ids look like): the time, then a serial."""
    value = (millis << 80) | serial
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers=headers
    )


def _guide_error(status: int, code: str, title: str) -> Response:
    """An error as the Help Center (guide) endpoints document it."""
    return _json({"errors": [{"code": code, "status": str(status), "title": title}]}, status)


def _category(rating: int, points: int) -> str:
    """`rating_category` of a rating on a scale (a 5-point 3 is neutral, 1-2 bad, 4-5 good)."""
    if rating == points:
        return "good"
    if points == 2 or rating == 1:
        return "bad"
    if points == 3:
        return "neutral"
    return {2: "bad", 3: "neutral", 4: "good"}[rating]


@dataclass
class FakeZendesk:
    """Holds users, groups, tickets, ratings and comments, and serves them like Zendesk does."""

    server: HTTPServer
    page_size: int = 2
    offset_pagination: bool = False
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    solved_at: dict[int, int] = field(default_factory=dict)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    surveys: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    response_created: dict[str, int] = field(default_factory=dict)  # id -> epoch ms
    # what the survey (guide) endpoints or the legacy list answer instead: e.g. 403 or 404
    survey_status: int | None = None
    legacy_status: int | None = None
    fail_after: dict[str, int] = field(default_factory=dict)  # path -> good answers, then 503s
    throttled: list[str] = field(default_factory=list)  # Retry-After values of coming 429s
    served: Counter[str] = field(default_factory=Counter)

    @property
    def base_url(self) -> str:
        """The URL to give the connector as DEBRIEF_ZENDESK_BASE_URL."""
        return self.server.url_for("/").rstrip("/")

    def add_user(self, user_id: int, name: str, email: str, role: str = "agent") -> None:
        """A user as GET /api/v2/users/show_many returns it."""
        self.users[user_id] = {
            "id": user_id,
            "url": f"{self.base_url}/api/v2/users/{user_id}.json",
            "name": name,
            "email": email,
            "role": role,
            "active": True,
            "time_zone": "UTC",
        }

    def add_rating(
        self,
        ticket_id: int,
        score: str,
        *,
        assignee_id: int | None,
        group_id: int | None = None,
        created: int = 1_714_557_600,
        tags: tuple[str, ...] = (),
        solved: int | None = None,
        requester_id: int = 9000,
    ) -> None:
        """A rated ticket: the rating, and the ticket (with its metric set when solved)."""
        rating_id = 50_000 + ticket_id
        self.ratings.append(
            {
                "id": rating_id,
                "url": f"{self.base_url}/api/v2/satisfaction_ratings/{rating_id}.json",
                "assignee_id": assignee_id,
                "group_id": group_id,
                "requester_id": requester_id,
                "ticket_id": ticket_id,
                "score": score,
                "comment": "",
                "created_at": iso(created),
                "updated_at": iso(created),
            }
        )
        self._ticket(ticket_id, assignee_id, group_id, created, tags, solved, requester_id)

    def _ticket(
        self,
        ticket_id: int,
        assignee_id: int | None,
        group_id: int | None,
        created: int,
        tags: tuple[str, ...],
        solved: int | None,
        requester_id: int,
    ) -> None:
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "url": f"{self.base_url}/api/v2/tickets/{ticket_id}.json",
            "subject": f"Ticket {ticket_id}",
            "status": "closed",
            "requester_id": requester_id,
            "assignee_id": assignee_id,
            "group_id": group_id,
            "tags": list(tags),
            "created_at": iso(created - 7200),
            "updated_at": iso(created),
        }
        if solved is not None:
            self.solved_at[ticket_id] = solved

    def add_survey(
        self, survey_id: str = SURVEY_ID, version: int = 3, points: int = 5, kind: str = "emoji"
    ) -> tuple[str, int]:
        """A CSAT survey version (Show Survey By Id And Version): a customer-satisfaction rating
        scale of `points` options (kind: emoji, numeric or custom_text), a reason, a comment."""
        labels = {2: ["Bad", "Good"], 3: ["Bad", "Okay", "Good"]}.get(
            points, ["Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied"]
        )
        options: list[dict[str, Any]] = []
        for rating in range(1, points + 1):
            option: dict[str, Any] = {
                "rating": rating,
                "label": {"type": "static", "value": labels[rating - 1]},
                "follow_up": {"question_id": "01JQ6E6V6SSXM7796DDCYM73NC"},
            }
            if kind == "emoji":
                option["emoji"] = {"type": "static", "value": ":)" if rating > 1 else ":("}
            options.append(option)
        self.surveys[(survey_id, version)] = {
            "created_at": "2025-03-25T00:00:00.000Z",
            "id": survey_id,
            "questions": [
                {
                    "headline": {
                        "type": "static",
                        "value": "How would you rate the support you received?",
                    },
                    "id": "01GFYBENPDGN1R6NAA4WRDNVFR",
                    "options": options,
                    "sub_type": "customer_satisfaction",
                    "type": f"rating_scale_{kind}",
                },
                {
                    "headline": {"type": "static", "value": "Select a reason"},
                    "id": "01JQ6E6V6SSXM7796DDCYM73NC",
                    "options": [
                        {
                            "id": "01J5DG6N2QMGYWAZ5X7ZCJFEM6",
                            "label": {"type": "static", "value": "It took too long"},
                            "follow_up": {"question_id": "01JQ6E6V6SQ9P0KB16GFZN61VK"},
                        }
                    ],
                    "type": "closed_ended",
                },
                {
                    "follow_up": None,
                    "headline": {"type": "static", "value": "Anything else?"},
                    "id": "01JQ6E6V6SQ9P0KB16GFZN61VK",
                    "type": "open_ended",
                },
            ],
            "state": "enabled",
            "updated_at": "2025-03-27T00:00:00.000Z",
            "version": version,
        }
        return survey_id, version

    def add_response(
        self,
        ticket_id: int,
        rating: int | None,
        *,
        assignee_id: int | None,
        points: int = 5,
        survey: tuple[str, int] = (SURVEY_ID, 3),
        group_id: int | None = None,
        created: int = 1_714_557_600,
        answered: int | None = None,
        tags: tuple[str, ...] = (),
        solved: int | None = None,
        requester_id: int = 9000,
        comment: str | None = None,
        sub_type: str = "customer_satisfaction",
        with_ticket: bool = True,
    ) -> str:
        """A survey response offered at `created` on the ticket (made too, unless told not),
        answered at `answered` with `rating` (None: the rating question skipped) and a comment.
        The survey version is made with `points` options when it doesn't exist yet."""
        if survey not in self.surveys:
            self.add_survey(survey[0], survey[1], points)
        when = answered if answered is not None else created + 3600
        answers: list[dict[str, Any]] = []
        question = {"id": "01GFYBENPDGN1R6NAA4WRDNVFR", "sub_type": sub_type}
        if rating is None:
            answers.append(
                {"type": "skipped", "question": {**question, "type": "rating_scale_emoji"}}
            )
        else:
            answers.append(
                {
                    "type": "rating_scale",
                    "rating": rating,
                    "rating_category": _category(rating, points),
                    "question": {**question, "type": "rating_scale_emoji"},
                }
            )
        answers.append(
            {
                "type": "open_ended",
                "value": comment,
                "question": {"id": "01JQ6E6V6SQ9P0KB16GFZN61VK", "type": "open_ended"},
            }
            if comment
            else {
                "type": "skipped",
                "question": {"id": "01JQ6E6V6SQ9P0KB16GFZN61VK", "type": "open_ended"},
            }
        )
        for answer in answers:
            answer["created_at"] = answer["updated_at"] = iso_ms(when)
        response_id = ulid(created * 1000, len(self.responses) + 1)
        self.responses.append(
            {
                "answers": answers,
                "expires_at": iso_ms(created + 28 * 86400),
                "id": response_id,
                "responder_id": requester_id,
                "subject_zrns": [f"zen:ticket:{ticket_id}"],
                "subjects": [
                    {"id": str(ticket_id), "type": "ticket", "zrn": f"zen:ticket:{ticket_id}"}
                ],
                "survey": {"id": survey[0], "state": "enabled", "version": survey[1]},
            }
        )
        self.response_created[response_id] = created * 1000
        if with_ticket:
            self._ticket(ticket_id, assignee_id, group_id, created, tags, solved, requester_id)
        return response_id

    def throttle(self, times: int = 1, retry_after: str = "7") -> None:
        """The next `times` requests are answered 429 with Retry-After."""
        self.throttled.extend([retry_after] * times)

    @property
    def requests(self) -> int:
        """How many requests the fake has been sent."""
        return len(self.server.log)

    def add_comment(
        self,
        ticket_id: int,
        author_id: int,
        html: str,
        *,
        plain: str | None = None,
        public: bool = True,
    ) -> None:
        """A ticket comment as GET /api/v2/tickets/{id}/comments returns it."""
        thread = self.comments.setdefault(ticket_id, [])
        comment: dict[str, Any] = {
            "id": 80_000 + len(thread),
            "type": "Comment",
            "author_id": author_id,
            "body": plain if plain is not None else html,
            "html_body": html,
            "public": public,
            "attachments": [],
            "via": {"channel": "email"},
            "created_at": iso(1_714_550_000 + 60 * len(thread)),
        }
        if plain is not None:
            comment["plain_body"] = plain
        thread.append(comment)

    def install(self) -> FakeZendesk:
        """Register every endpoint on the server."""
        routes = {
            RATINGS: self._ratings,
            RESPONSES: self._responses,
            "/api/v2/users/show_many.json": self._users,
            "/api/v2/groups.json": self._groups,
            "/api/v2/tickets/show_many.json": self._show_tickets,
        }
        for path, handler in routes.items():
            self.server.expect_request(path, method="GET").respond_with_handler(self._auth(handler))
        self.server.expect_request(
            re.compile(r"^/api/v2/tickets/\d+/comments\.json$"), method="GET"
        ).respond_with_handler(self._auth(self._comments))
        self.server.expect_request(
            re.compile(r"^/api/v2/tickets/\d+\.json$"), method="GET"
        ).respond_with_handler(self._auth(self._show_ticket))
        self.server.expect_request(
            re.compile(r"^/api/v2/guide/[a-z]{2}(?:-[a-z]{2})?/surveys/[0-9A-Z]+/\d+$"),
            method="GET",
        ).respond_with_handler(self._auth(self._survey))
        return self

    def calls(self, path: str) -> list[Request]:
        """The requests the fake served on a path."""
        return [request for request, _ in self.server.log if request.path == path]

    def _auth(self, handler: Any) -> Any:
        expected = "Basic " + base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()

        def check(request: Request) -> Response:
            path, guide = request.path, request.path.startswith("/api/v2/guide/")
            if self.throttled:
                wait = self.throttled.pop(0)
                return _json(
                    {"error": "TooManyRequests", "description": "Rate limit exceeded"},
                    429,
                    {"Retry-After": wait},
                )
            if request.headers.get("Authorization") != expected:
                if guide:
                    return _guide_error(401, "Unauthorized", "Unauthorized to access the resource")
                return _json({"error": "Couldn't authenticate you"}, 401)
            if path in self.fail_after and self.served[path] >= self.fail_after[path]:
                return Response("Service Unavailable", status=503)
            self.served[path] += 1
            status = self.survey_status if guide else None
            status = self.legacy_status if path == RATINGS else status
            if status == 403:
                return (
                    _guide_error(403, "Forbidden", "Access to the resource is forbidden")
                    if guide
                    else _json({"error": "Forbidden", "description": "You do not have access"}, 403)
                )
            if status == 404:
                return (
                    _guide_error(404, "NotFound", "Not found")
                    if guide
                    else _json({"error": "InvalidEndpoint", "description": "Not found"}, 404)
                )
            return handler(request)

        return check

    @staticmethod
    def _bad(description: str) -> Response:
        return _json({"error": "InvalidValue", "description": description}, 400)

    def _paged(self, request: Request, key: str, items: list[Any]) -> Response:
        """Cursor pagination (page[size]/page[after]) or offset pagination (page)."""
        extra = {k: v for k, v in request.args.items() if not k.startswith("page")}
        url = self.base_url + request.path
        if self.offset_pagination or "page[size]" not in request.args:
            page = int(request.args.get("page", "1"))
            chunk = items[(page - 1) * self.page_size : page * self.page_size]
            more = page * self.page_size < len(items)
            next_page = f"{url}?{urlencode({**extra, 'page': page + 1})}" if more else None
            return _json(
                {key: chunk, "next_page": next_page, "previous_page": None, "count": len(items)}
            )
        start = int(request.args.get("page[after]", "0"))
        size = min(self.page_size, int(request.args["page[size]"]))
        chunk, more = items[start : start + size], start + size < len(items)
        after = str(start + size)
        query = urlencode({**extra, "page[after]": after, "page[size]": request.args["page[size]"]})
        return _json(
            {
                key: chunk,
                "meta": {"has_more": more, "after_cursor": after, "before_cursor": str(start)},
                "links": {"next": f"{url}?{query}" if more else None, "prev": None},
            }
        )

    def _ratings(self, request: Request) -> Response:
        unknown = set(request.args) - RATING_PARAMS
        times = [request.args.get(k, "0") for k in ("start_time", "end_time")]
        score = request.args.get("score")
        if unknown or not all(t.isdigit() for t in times) or (score and score not in SCORES):
            return self._bad(f"Invalid parameters: {sorted(unknown) or times or score}")
        if int(request.args.get("page[size]", "1")) > PAGE_LIMIT:
            return self._bad("page[size] must be at most 100")
        start, end = int(times[0]), int(request.args.get("end_time", str(2**40)))
        chosen = [
            r
            for r in self.ratings
            if start <= datetime.fromisoformat(r["created_at"]).timestamp() <= end
            and (score != "received" or r["score"] in ("good", "bad"))
        ]
        return self._paged(request, "satisfaction_ratings", chosen)

    def _responses(self, request: Request) -> Response:
        """List Survey Responses: filters, sort by id, cursor pages with only `meta`."""
        args = request.args
        unknown = set(args) - RESPONSE_PARAMS
        bounds = [args.get(k, "0") for k in ("filter[created_at_start]", "filter[created_at_end]")]
        size = args.get("page[size]", "100")
        if (
            unknown
            or not all(b.isdigit() for b in bounds)
            or args.get("sort", "id")
            not in (
                "id",
                "-id",
            )
        ):
            return _guide_error(400, "InvalidParameter", f"Invalid parameters: {sorted(unknown)}")
        if not size.isdigit() or not 1 <= int(size) <= PAGE_LIMIT:
            return _guide_error(400, "InvalidParameter", "page[size] must be 1 to 100")
        start = int(bounds[0])
        end = int(args.get("filter[created_at_end]", str(2**60)))
        zrns = set(filter(None, args.get("filter[subject_zrns]", "").split(",")))
        chosen = sorted(
            (
                r
                for r in self.responses
                if start <= self.response_created[r["id"]] <= end
                and (not zrns or zrns & set(r["subject_zrns"]))
            ),
            key=lambda r: r["id"],
            reverse=args.get("sort") == "-id",
        )
        offset = 0
        if "page[after]" in args:
            offset = int(base64.b64decode(args["page[after]"] + "==").decode())
        chunk = chosen[offset : offset + min(self.page_size, int(size))]
        after = offset + len(chunk)
        return _json(
            {
                "meta": {
                    "after_cursor": base64.b64encode(str(after).encode()).decode().rstrip("="),
                    "before_cursor": base64.b64encode(str(offset).encode()).decode().rstrip("="),
                    "has_more": after < len(chosen),
                },
                "survey_responses": chunk,
            }
        )

    def _survey(self, request: Request) -> Response:
        """Show Survey By Id And Version (the latest one when asked for a later version)."""
        _, survey_id, version = request.path.rsplit("/", 2)
        versions = sorted(v for (sid, v) in self.surveys if sid == survey_id)
        if not versions:
            return _guide_error(404, "NotFound", "The survey could not be found")
        chosen = int(version) if int(version) in versions else versions[-1]
        return _json({"survey": self.surveys[(survey_id, chosen)]})

    def _ids(self, request: Request) -> list[int] | Response:
        ids = [int(i) for i in request.args.get("ids", "").split(",") if i]
        if len(ids) > SHOW_MANY_LIMIT:
            return _json({"error": "InvalidValue", "description": "Too many ids"}, 400)
        return ids

    def _users(self, request: Request) -> Response:
        ids = self._ids(request)
        if isinstance(ids, Response):
            return ids
        users = [self.users[i] for i in ids if i in self.users]
        return _json(
            {"users": users, "next_page": None, "previous_page": None, "count": len(users)}
        )

    def _groups(self, request: Request) -> Response:
        groups = [
            {"id": gid, "name": name, "url": f"{self.base_url}/api/v2/groups/{gid}.json"}
            for gid, name in self.groups.items()
        ]
        return self._paged(request, "groups", groups)

    def _show_tickets(self, request: Request) -> Response:
        ids = self._ids(request)
        if isinstance(ids, Response):
            return ids
        body: dict[str, Any] = {"tickets": [self.tickets[i] for i in ids if i in self.tickets]}
        if "metric_sets" in request.args.get("include", ""):
            body["metric_sets"] = [
                {"id": 70_000 + i, "ticket_id": i, "solved_at": iso(self.solved_at[i])}
                for i in ids
                if i in self.solved_at
            ]
        return _json(body)

    def _show_ticket(self, request: Request) -> Response:
        ticket_id = int(request.path.rsplit("/", 1)[1].removesuffix(".json"))
        if ticket_id not in self.tickets:
            return _json({"error": "RecordNotFound", "description": "Not found"}, 404)
        return _json({"ticket": self.tickets[ticket_id]})

    def _comments(self, request: Request) -> Response:
        ticket_id = int(request.path.split("/")[4])
        if ticket_id not in self.tickets:
            return _json({"error": "RecordNotFound", "description": "Not found"}, 404)
        return self._paged(request, "comments", self.comments.get(ticket_id, []))
