"""A fake Freshdesk API v2 on pytest-httpserver, answering with the documented payload shapes.

Sources: the Freshdesk API reference, https://developers.freshdesk.com/api/ (authentication:
API key as the Basic user, `X` as the password; pagination: `page`, `per_page` of at most 100,
default 30, the `link` header with rel="next" only while there is a next page; errors:
`{"code", "message"}` for 401/403 and `{"description": "Validation failed", "errors": [{field,
message, code}]}` for 400, an unknown parameter being `invalid_field`; rate limit: 429 with
`Retry-After` in seconds, and `X-RateLimit-Total`, `X-RateLimit-Remaining`,
`X-RateLimit-Used-CurrentRequest` on every answer, per Freshdesk's support article 225439 "What
are the rate limits for the API calls to Freshdesk?"); the satisfaction rating, survey, agent,
group, ticket and conversation objects as the Freshworks Freshdesk SDK reference lists their
fields (https://developers.freshworks.com/freshdesk-sdk/docs/SatisfactionRating.html,
ConversationsApi.html). The stored copies of developers.freshdesk.com could not be read here;
the rating scale values (103 ... -103) and the surveys' `accepted_ratings` follow the reference
as remembered and as third-party clients read them (see the connector's docstring).
"""

from __future__ import annotations

import base64
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_KEY = "fd-key-123"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
RATE_LIMIT = 700  # the Enterprise plan's calls a minute
SCALES = {
    3: [103, 100, -103],
    5: [103, 102, 100, -102, -103],
    7: [103, 102, 101, 100, -101, -102, -103],
}
INCLUDES = {"requester", "company", "stats", "conversations"}


def iso(epoch: int) -> str:
    """Freshdesk's timestamp format."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(field_name: str, message: str, code: str = "invalid_value") -> dict[str, Any]:
    return {
        "description": "Validation failed",
        "errors": [{"field": field_name, "message": message, "code": code}],
    }


@dataclass
class FakeFreshdesk:
    """Holds agents, groups, surveys, tickets, ratings and conversations; serves them like
    Freshdesk does. `page_cap` (a test knob) makes pages smaller than `per_page` asks for;
    `order` is how ratings are listed ("id", "newest" or "shuffled"), since Freshdesk doesn't
    document one."""

    server: HTTPServer
    page_cap: int = MAX_PER_PAGE
    order: str = "shuffled"
    agents: dict[int, dict[str, Any]] = field(default_factory=dict)
    listed_agents: set[int] = field(default_factory=set)
    groups: dict[int, str] = field(default_factory=dict)
    surveys: dict[int, list[int]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    conversations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    throttle: list[int] = field(default_factory=list)  # Retry-After of the next 429s
    failures: dict[tuple[str, int], int] = field(default_factory=dict)  # (path, page): 503s
    remaining: int = RATE_LIMIT

    @property
    def base_url(self) -> str:
        """The URL to give the connector as DEBRIEF_FRESHDESK_BASE_URL."""
        return self.server.url_for("/").rstrip("/")

    @property
    def requests(self) -> int:
        """How many requests the fake has answered."""
        return len(self.server.log)

    def add_survey(self, survey_id: int, points: int) -> None:
        """A survey whose CSAT question takes a 3-, 5- or 7-point scale."""
        self.surveys[survey_id] = SCALES[points]

    def add_agent(self, agent_id: int, name: str, email: str, *, listed: bool = True) -> None:
        """An agent as GET /api/v2/agents returns it (name and email under `contact`);
        `listed=False` leaves it out of the list (a deactivated agent) but viewable by id."""
        self.agents[agent_id] = {
            "available": True,
            "occasional": not listed,
            "id": agent_id,
            "ticket_scope": 1,
            "signature": None,
            "group_ids": [],
            "role_ids": [],
            "skill_ids": [],
            "available_since": None,
            "type": "support_agent",
            "created_at": iso(1_600_000_000),
            "updated_at": iso(1_600_000_000),
            "last_active_at": None,
            "contact": {
                "active": True,
                "email": email,
                "job_title": None,
                "language": "en",
                "last_login_at": None,
                "mobile": None,
                "name": name,
                "phone": None,
                "time_zone": "Eastern Time (US & Canada)",
                "created_at": iso(1_600_000_000),
                "updated_at": iso(1_600_000_000),
            },
        }
        if listed:
            self.listed_agents.add(agent_id)

    def add_contact(self, contact_id: int, name: str, email: str, phone: str | None = None) -> None:
        """A customer: the requester embedded in a ticket by include=requester."""
        self.contacts[contact_id] = {
            "id": contact_id,
            "name": name,
            "email": email,
            "mobile": None,
            "phone": phone,
        }

    def add_rating(
        self,
        ticket_id: int,
        value: int | None,
        *,
        agent_id: int | None,
        created: int,
        group_id: int | None = None,
        survey_id: int = 1,
        requester_id: int = 9000,
        rating_id: int | None = None,
        feedback: str = "",
    ) -> None:
        """A satisfaction rating (value None: a response with no CSAT answer) and its ticket."""
        ratings = {"default_question": value} if value is not None else {"question_2": 103}
        self.ratings.append(
            {
                "id": rating_id if rating_id is not None else 50_000 + len(self.ratings),
                "survey_id": survey_id,
                "user_id": requester_id,
                "agent_id": agent_id,
                "feedback": feedback,
                "group_id": group_id,
                "ticket_id": ticket_id,
                "ratings": ratings,
                "created_at": iso(created),
                "updated_at": iso(created),
            }
        )
        self.tickets.setdefault(ticket_id, self._ticket(ticket_id, agent_id, requester_id))

    def add_message(
        self,
        ticket_id: int,
        html: str,
        *,
        user_id: int,
        incoming: bool,
        private: bool = False,
        text: str | None = None,
    ) -> None:
        """A conversation (a reply or a note) on a ticket."""
        thread = self.conversations.setdefault(ticket_id, [])
        thread.append(
            {
                "body": html,
                "body_text": text if text is not None else re.sub(r"<[^>]+>", "", html),
                "id": 80_000 + len(thread),
                "incoming": incoming,
                "private": private,
                "user_id": user_id,
                "support_email": None if incoming else "support@acme.test",
                "source": 2 if private else 0,
                "category": 2,
                "ticket_id": ticket_id,
                "to_emails": [],
                "from_email": None,
                "cc_emails": [],
                "bcc_emails": [],
                "email_failure_count": None,
                "outgoing_failures": None,
                "attachments": [],
                "created_at": iso(1_714_550_000 + 60 * len(thread)),
                "updated_at": iso(1_714_550_000 + 60 * len(thread)),
            }
        )

    def install(self) -> FakeFreshdesk:
        """Register every endpoint on the server."""
        routes: list[tuple[str | re.Pattern[str], Any]] = [
            ("/api/v2/surveys/satisfaction_ratings", self._ratings),
            ("/api/v2/surveys", self._surveys),
            ("/api/v2/agents", self._agents),
            (re.compile(r"^/api/v2/agents/\d+$"), self._agent),
            ("/api/v2/groups", self._groups),
            (re.compile(r"^/api/v2/tickets/\d+/conversations$"), self._conversations),
            (re.compile(r"^/api/v2/tickets/\d+$"), self._ticket_view),
        ]
        for path, handler in routes:
            self.server.expect_request(path, method="GET").respond_with_handler(
                self._guard(handler)
            )
        return self

    def calls(self, path: str) -> list[Request]:
        """The requests the fake answered on a path."""
        return [request for request, _ in self.server.log if request.path == path]

    def calls_matching(self, part: str) -> list[Request]:
        """The requests the fake answered on paths containing `part`."""
        return [request for request, _ in self.server.log if part in request.path]

    # -- serving -------------------------------------------------------------------------------

    def _json(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        self.remaining = max(0, self.remaining - 1)
        limits = {
            "X-RateLimit-Total": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Used-CurrentRequest": "1",
        }
        text = "" if body is None else json.dumps(body)
        return Response(
            text,
            status=status,
            content_type="application/json",
            headers={**limits, **(headers or {})},
        )

    def _guard(self, handler: Any) -> Any:
        expected = "Basic " + base64.b64encode(f"{API_KEY}:X".encode()).decode()

        def check(request: Request) -> Response:
            if request.headers.get("Authorization") != expected:
                return self._json(
                    {
                        "code": "invalid_credentials",
                        "message": "You have to be logged in to perform this action.",
                    },
                    401,
                )
            if self.throttle:
                return self._json(None, 429, {"Retry-After": str(self.throttle.pop(0))})
            page = request.args.get("page", "1")
            key = (request.path, int(page) if page.isdigit() else 0)
            if self.failures.get(key, 0) > 0:
                self.failures[key] -= 1
                return Response("Service Unavailable", status=503)
            return handler(request)

        return check

    def _unexpected(self, request: Request, allowed: set[str]) -> Response | None:
        for name in request.args:
            if name not in allowed | {"page", "per_page"}:
                return self._json(
                    _invalid(name, "Unexpected/invalid field in request", "invalid_field"), 400
                )
        return None

    def _paged(
        self, request: Request, items: list[Any], allowed: set[str] | None = None
    ) -> Response:
        """`page`/`per_page` pagination with the next page in the `link` header."""
        refused = self._unexpected(request, allowed or set())
        if refused is not None:
            return refused
        page_arg = request.args.get("page", "1")
        per_arg = request.args.get("per_page", str(DEFAULT_PER_PAGE))
        if not page_arg.isdigit() or int(page_arg) < 1:
            return self._json(_invalid("page", "It should be a Positive Number"), 400)
        if not per_arg.isdigit() or not 1 <= int(per_arg) <= MAX_PER_PAGE:
            message = "It should be a Positive Number less than or equal to 100"
            return self._json(_invalid("per_page", message), 400)
        page, per_page = int(page_arg), min(int(per_arg), self.page_cap)
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            query = urlencode({**request.args.to_dict(), "page": page + 1})
            headers["link"] = f'<{self.base_url}{request.path}?{query}>; rel="next"'
        return self._json(chunk, headers=headers)

    def _ratings(self, request: Request) -> Response:
        since_arg = request.args.get("created_since")
        since = 0.0
        if since_arg is not None:
            try:
                since = datetime.fromisoformat(since_arg.replace("Z", "+00:00")).timestamp()
            except ValueError:
                message = "It should be in the 'valid date' format"
                return self._json(_invalid("created_since", message, "invalid_date"), 400)
        user = request.args.get("user_id")
        chosen = [
            r
            for r in self.ratings
            if datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")).timestamp() >= since
            and (user is None or str(r["user_id"]) == user)
        ]
        if self.order == "newest":
            chosen.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        elif self.order == "shuffled":
            random.Random(7).shuffle(chosen)
        else:
            chosen.sort(key=lambda r: r["id"])
        return self._paged(request, chosen, {"created_since", "user_id"})

    def _surveys(self, request: Request) -> Response:
        surveys = [
            {
                "id": survey_id,
                "title": f"Survey {survey_id}",
                "active": True,
                "questions": [
                    {
                        "id": "default_question",
                        "label": "How would you rate your overall satisfaction?",
                        "accepted_ratings": values,
                        "default": True,
                    }
                ],
                "created_at": iso(1_600_000_000),
                "updated_at": iso(1_600_000_000),
            }
            for survey_id, values in sorted(self.surveys.items())
        ]
        return self._paged(request, surveys, {"state"})

    def _agents(self, request: Request) -> Response:
        listed = [self.agents[i] for i in sorted(self.listed_agents)]
        return self._paged(request, listed, {"email", "mobile", "phone", "state"})

    def _agent(self, request: Request) -> Response:
        agent_id = int(request.path.rsplit("/", 1)[1])
        if agent_id not in self.agents:
            return self._json(None, 404)
        return self._json(self.agents[agent_id])

    def _groups(self, request: Request) -> Response:
        groups: list[dict[str, Any]] = [
            {
                "id": gid,
                "name": name,
                "description": None,
                "escalate_to": None,
                "unassigned_for": "30m",
                "business_hour_id": None,
                "group_type": "support_agent_group",
                "agent_ids": [],
                "created_at": iso(1_600_000_000),
                "updated_at": iso(1_600_000_000),
            }
            for gid, name in sorted(self.groups.items())
        ]
        return self._paged(request, groups)

    def _ticket(self, ticket_id: int, agent_id: int | None, requester_id: int) -> dict[str, Any]:
        return {
            "id": ticket_id,
            "subject": f"Ticket {ticket_id}",
            "description": "<div>Please help</div>",
            "description_text": "Please help",
            "requester_id": requester_id,
            "responder_id": agent_id,
            "group_id": None,
            "status": 5,
            "priority": 1,
            "source": 1,
            "type": None,
            "tags": [],
            "cc_emails": [],
            "fwd_emails": [],
            "reply_cc_emails": [],
            "to_emails": None,
            "fr_escalated": False,
            "is_escalated": False,
            "spam": False,
            "custom_fields": {},
            "due_by": iso(1_714_600_000),
            "fr_due_by": iso(1_714_560_000),
            "created_at": iso(1_714_540_000),
            "updated_at": iso(1_714_560_000),
            "attachments": [],
        }

    def _ticket_view(self, request: Request) -> Response:
        ticket_id = int(request.path.rsplit("/", 1)[1])
        refused = self._unexpected(request, {"include"})
        if refused is not None:
            return refused
        includes = [i for i in request.args.get("include", "").split(",") if i]
        if any(i not in INCLUDES for i in includes):
            message = "It should be one of these values: 'conversations,requester,company,stats'"
            return self._json(_invalid("include", message), 400)
        if ticket_id not in self.tickets:
            return self._json(None, 404)
        ticket = dict(self.tickets[ticket_id])
        if "requester" in includes:
            ticket["requester"] = self.contacts.get(ticket["requester_id"], {})
        return self._json(ticket)

    def _conversations(self, request: Request) -> Response:
        ticket_id = int(request.path.split("/")[4])
        if ticket_id not in self.tickets:
            return self._json(None, 404)
        return self._paged(request, self.conversations.get(ticket_id, []))
