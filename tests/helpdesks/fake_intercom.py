"""A fake Intercom REST API on pytest-httpserver, answering with the documented payload shapes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "ic-token-456"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _not_found(code: str) -> Response:
    return _json(
        {"type": "error.list", "request_id": "req-1", "errors": [{"code": code, "message": code}]},
        404,
    )


@dataclass
class FakeIntercom:
    """Holds admins, teams, contacts and conversations, and serves them like Intercom does."""

    server: HTTPServer
    page_size: int = 2
    admins: dict[str, dict[str, Any]] = field(default_factory=dict)
    hidden_admins: dict[str, dict[str, Any]] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    search_bodies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """The URL to give the connector as DEBRIEF_INTERCOM_BASE_URL."""
        return self.server.url_for("/").rstrip("/")

    def add_admin(self, admin_id: str, name: str, email: str, *, listed: bool = True) -> None:
        """A teammate; an unlisted one is only found through GET /admins/{id}."""
        admin = {
            "type": "admin",
            "id": admin_id,
            "name": name,
            "email": email,
            "job_title": "Support",
            "away_mode_enabled": False,
            "away_mode_reassign": False,
            "has_inbox_seat": True,
            "team_ids": [],
        }
        (self.admins if listed else self.hidden_admins)[admin_id] = admin

    def add_contact(self, contact_id: str, name: str, email: str) -> None:
        """A contact as GET /contacts/{id} returns it."""
        self.contacts[contact_id] = {
            "type": "contact",
            "id": contact_id,
            "role": "user",
            "name": name,
            "email": email,
        }

    def add_conversation(
        self,
        conversation_id: str,
        *,
        rating: int | None,
        teammate_id: str | None,
        assignee_id: int | None = None,
        team_id: str | None = None,
        replied_at: int = 1_714_557_600,
        last_close_at: int | None = 1_714_550_000,
        tags: tuple[str, ...] = (),
        contact_id: str = "c-1",
        source: dict[str, Any] | None = None,
        parts: list[dict[str, Any]] | None = None,
    ) -> None:
        """A conversation in the 2.11 shape, rated when `rating` is given."""
        rated = rating is not None
        self.conversations[conversation_id] = {
            "type": "conversation",
            "id": conversation_id,
            "title": None,
            "created_at": replied_at - 7200,
            "updated_at": replied_at,
            "waiting_since": None,
            "snoozed_until": None,
            "open": False,
            "state": "closed",
            "read": True,
            "priority": "not_priority",
            "admin_assignee_id": assignee_id,
            "team_assignee_id": team_id,
            "tags": {
                "type": "tag.list",
                "tags": [{"type": "tag", "id": t, "name": t} for t in tags],
            },
            "conversation_rating": {
                "rating": rating,
                "remark": "",
                "created_at": replied_at - 60 if rated else None,
                "contact": {"type": "contact", "id": contact_id if rated else None},
                "teammate": {"type": "admin", "id": teammate_id},
            },
            "_replied_at": replied_at if rated else None,
            "source": source
            or {
                "type": "conversation",
                "id": "src-1",
                "delivered_as": "customer_initiated",
                "subject": "",
                "body": "<p>Hi</p>",
                "author": {"type": "user", "id": contact_id, "name": None, "email": ""},
                "attachments": [],
                "url": None,
                "redacted": False,
            },
            "contacts": {
                "type": "contact.list",
                "contacts": [{"type": "contact", "id": contact_id}],
            },
            "teammates": {"type": "admin.list", "teammates": []},
            "statistics": {
                "type": "conversation_statistics",
                "last_close_at": last_close_at,
                "count_reopens": 0,
            },
            "conversation_parts": {
                "type": "conversation_part.list",
                "conversation_parts": parts or [],
                "total_count": len(parts or []),
            },
        }

    def install(self) -> FakeIntercom:
        """Register every endpoint on the server."""
        server = self.server
        server.expect_request("/conversations/search", method="POST").respond_with_handler(
            self._auth(self._search)
        )
        server.expect_request("/admins", method="GET").respond_with_handler(
            self._auth(self._list_admins)
        )
        server.expect_request(re.compile(r"^/admins/[^/]+$"), method="GET").respond_with_handler(
            self._auth(self._admin)
        )
        server.expect_request("/teams", method="GET").respond_with_handler(self._auth(self._teams))
        server.expect_request(re.compile(r"^/contacts/[^/]+$"), method="GET").respond_with_handler(
            self._auth(self._contact)
        )
        server.expect_request(
            re.compile(r"^/conversations/[^/]+$"), method="GET"
        ).respond_with_handler(self._auth(self._conversation))
        return self

    def calls(self, path: str) -> list[Request]:
        """The requests the fake served on a path."""
        return [request for request, _ in self.server.log if request.path == path]

    def _auth(self, handler: Any) -> Any:
        def check(request: Request) -> Response:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return _json(
                    {
                        "type": "error.list",
                        "request_id": "req-0",
                        "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}],
                    },
                    401,
                )
            return handler(request)

        return check

    @staticmethod
    def _public(conversation: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in conversation.items() if not k.startswith("_")}

    def _search(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        self.search_bodies.append(body)
        query = body["query"]
        assert query["field"] == "conversation_rating.replied_at" and query["operator"] == ">"
        matching = [
            self._public(c)
            for c in self.conversations.values()
            if c["_replied_at"] is not None and c["_replied_at"] > query["value"]
        ]
        pagination = body.get("pagination") or {}
        start = int(pagination.get("starting_after") or 0)
        size = min(self.page_size, int(pagination.get("per_page", 20)))
        chunk = matching[start : start + size]
        total_pages = max(1, -(-len(matching) // size))
        pages: dict[str, Any] = {
            "type": "pages",
            "page": start // size + 1,
            "per_page": size,
            "total_pages": total_pages,
        }
        if start + size < len(matching):
            pages["next"] = {"page": start // size + 2, "starting_after": str(start + size)}
        return _json(
            {
                "type": "conversation.list",
                "conversations": chunk,
                "total_count": len(matching),
                "pages": pages,
            }
        )

    def _list_admins(self, request: Request) -> Response:
        return _json({"type": "admin.list", "admins": list(self.admins.values())})

    def _admin(self, request: Request) -> Response:
        admin_id = request.path.rsplit("/", 1)[1]
        admin = self.admins.get(admin_id) or self.hidden_admins.get(admin_id)
        return _json(admin) if admin else _not_found("admin_not_found")

    def _teams(self, request: Request) -> Response:
        teams = [
            {"type": "team", "id": tid, "name": name, "admin_ids": []}
            for tid, name in self.teams.items()
        ]
        return _json({"type": "team.list", "teams": teams})

    def _contact(self, request: Request) -> Response:
        contact = self.contacts.get(request.path.rsplit("/", 1)[1])
        return _json(contact) if contact else _not_found("not_found")

    def _conversation(self, request: Request) -> Response:
        conversation = self.conversations.get(request.path.rsplit("/", 1)[1])
        return _json(self._public(conversation)) if conversation else _not_found("not_found")


def part(
    author_type: str, body: str | None, *, part_type: str = "comment", **author: Any
) -> dict[str, Any]:
    """A conversation part in the documented shape."""
    return {
        "type": "conversation_part",
        "id": f"part-{abs(hash((author_type, body, part_type)))}",
        "part_type": part_type,
        "body": body,
        "created_at": 1_714_551_000,
        "updated_at": 1_714_551_000,
        "notified_at": 1_714_551_000,
        "assigned_to": None,
        "author": {"type": author_type, "id": author.get("id", "a-1"), **author},
        "attachments": [],
        "external_id": None,
        "redacted": False,
    }
