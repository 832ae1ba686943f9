"""A fake Zendesk Support API on pytest-httpserver, answering with the documented payload shapes."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EMAIL = "admin@acme.test"
TOKEN = "zd-token-123"
SHOW_MANY_LIMIT = 100


def iso(epoch: int) -> str:
    """Zendesk's timestamp format."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


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
            "/api/v2/satisfaction_ratings.json": self._ratings,
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
        ).respond_with_handler(self._auth(self._ticket))
        return self

    def calls(self, path: str) -> list[Request]:
        """The requests the fake served on a path."""
        return [request for request, _ in self.server.log if request.path == path]

    def _auth(self, handler: Any) -> Any:
        expected = "Basic " + base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()

        def check(request: Request) -> Response:
            if request.headers.get("Authorization") != expected:
                return _json({"error": "Couldn't authenticate you"}, 401)
            return handler(request)

        return check

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
        start = int(request.args.get("start_time", "0"))
        score = request.args.get("score")
        chosen = [
            r
            for r in self.ratings
            if datetime.fromisoformat(r["created_at"]).timestamp() >= start
            and (score != "received" or r["score"] in ("good", "bad"))
        ]
        return self._paged(request, "satisfaction_ratings", chosen)

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

    def _ticket(self, request: Request) -> Response:
        ticket_id = int(request.path.rsplit("/", 1)[1].removesuffix(".json"))
        if ticket_id not in self.tickets:
            return _json({"error": "RecordNotFound", "description": "Not found"}, 404)
        return _json({"ticket": self.tickets[ticket_id]})

    def _comments(self, request: Request) -> Response:
        ticket_id = int(request.path.split("/")[4])
        if ticket_id not in self.tickets:
            return _json({"error": "RecordNotFound", "description": "Not found"}, 404)
        return self._paged(request, "comments", self.comments.get(ticket_id, []))
