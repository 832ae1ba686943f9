"""A fake HubSpot API on pytest-httpserver, answering as HubSpot documents it.

Sources: the OpenAPI specs in github.com/HubSpot/HubSpot-public-api-spec-collection
(PublicApiSpecs/CRM/Feedback Submissions, Tickets, Crm Owners, Associations v4, Contacts;
Conversations/Conversations v3): paths, request bodies (PublicObjectSearchRequest,
BatchReadInputSimplePublicObjectId, BatchInputPublicFetchAssociationsBatchRequest), answers
(CollectionResponseWithTotalSimplePublicObject, BatchResponseSimplePublicObject[WithErrors],
BatchResponsePublicAssociationMultiWithLabel[WithErrors], CollectionResponsePublicOwnerForwardPaging,
PublicThread, CollectionResponsePublicMessageForwardPaging) and the Error shape;
developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm (filters, one sort, 200 a
page, ``after`` as an integer, 10,000 results a query, a 400 past them, no rate-limit headers
on search answers); developers.hubspot.com/docs/api/usage-details (the 429 body with
``errorType``/``policyName``, the X-HubSpot-RateLimit-* headers); knowledge.hubspot.com
feedback submission properties (CSAT answers 0-2, NPS 0-10, CES 1-7).

The fake is strict where HubSpot is (auth, body shapes, limits, cursors) and records in
`problems` what HubSpot would silently ignore (an unknown query parameter or body key, a
property it doesn't have), so a test can insist there are none.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
PORTAL_ID = "62515"
SEARCH = "/crm/v3/objects/feedback_submissions/search"
ASSOCIATIONS = "/crm/v4/associations/feedback_submissions/tickets/batch/read"
TICKETS_BATCH = "/crm/v3/objects/tickets/batch/read"
OWNERS = "/crm/v3/owners"
SEARCH_MAX = 200
SEARCH_CAP = 10_000
BATCH_MAX = 100
ASSOCIATIONS_MAX = 1000
OWNERS_MAX = 500
OPERATORS = {"BETWEEN", "CONTAINS_TOKEN", "EQ", "GT", "GTE", "HAS_PROPERTY", "IN", "LT", "LTE",
             "NEQ", "NOT_CONTAINS_TOKEN", "NOT_HAS_PROPERTY", "NOT_IN"}  # fmt: skip
SUBMISSION_PROPERTIES = {"hs_createdate", "hs_lastmodifieddate", "hs_object_id", "hs_survey_type",
                         "hs_survey_name", "hs_survey_id", "hs_survey_channel", "hs_value",
                         "hs_content", "hs_response_group", "hs_sentiment", "hs_contact_id",
                         "hs_submission_name", "hs_submission_timestamp"}  # fmt: skip
TICKET_PROPERTIES = {"hubspot_owner_id", "hubspot_team_id", "closed_date", "hs_ticket_category",
                     "hs_conversations_originating_thread_id", "subject", "content",
                     "hs_pipeline", "hs_pipeline_stage", "createdate", "hs_lastmodifieddate",
                     "hs_object_id"}  # fmt: skip
DATE_PROPERTIES = {"hs_createdate", "hs_lastmodifieddate", "closed_date", "createdate"}
DAY_LIMIT = 250_000


def iso(epoch: float) -> str:
    """HubSpot's timestamp format: ISO 8601 in UTC with milliseconds."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _millis(value: str) -> int:
    """A search filter's time: epoch milliseconds, or an ISO 8601 string."""
    if value.lstrip("-").isdigit():
        return int(value)
    return int(datetime.fromisoformat(value).timestamp() * 1000)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers=headers
    )


def _error(status: int, category: str, message: str, **extra: Any) -> Response:
    return _json(
        {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
            **extra,
        },
        status,
    )


def _invalid(message: str) -> Response:
    return _error(400, "VALIDATION_ERROR", message)


def _not_found(message: str = "resource not found") -> Response:
    return _error(404, "OBJECT_NOT_FOUND", message)


@dataclass
class FakeHubSpot:
    """Owners, tickets, feedback submissions, threads and contacts, served like HubSpot."""

    server: HTTPServer
    page_size: int = SEARCH_MAX  # the fake's own search page cap (a test makes it small)
    owner_page: int = OWNERS_MAX
    message_page: int = 20
    owners: dict[str, dict[str, Any]] = field(default_factory=dict)
    archived_owners: dict[str, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    ticket_of: dict[str, list[str]] = field(default_factory=dict)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    search_bodies: list[dict[str, Any]] = field(default_factory=list)
    rate_limits: dict[str, list[str]] = field(default_factory=dict)  # path -> policies queued
    failing_after: dict[str, int] = field(default_factory=dict)  # search `after` -> status
    calls_today: int = 0

    @property
    def base_url(self) -> str:
        """The URL to give the connector as DEBRIEF_HUBSPOT_BASE_URL."""
        return self.server.url_for("/").rstrip("/")

    # -- data ------------------------------------------------------------------------------

    def add_owner(
        self,
        owner_id: str,
        first: str,
        last: str,
        email: str,
        *,
        teams: tuple[tuple[str, str, bool], ...] = (),
        archived: bool = False,
        kind: str = "PERSON",
    ) -> None:
        """An owner as GET /crm/v3/owners lists it; `teams` are (id, name, primary)."""
        owner = {
            "id": owner_id,
            "email": email,
            "type": kind,
            "firstName": first,
            "lastName": last,
            "userId": int(owner_id) + 1000,
            "userIdIncludingInactive": int(owner_id) + 1000,
            "createdAt": "2023-01-05T10:00:00.000Z",
            "updatedAt": "2024-02-01T10:00:00.000Z",
            "archived": archived,
            "teams": [{"id": t, "name": n, "primary": p} for t, n, p in teams],
        }
        (self.archived_owners if archived else self.owners)[owner_id] = owner

    def add_ticket(
        self,
        ticket_id: str,
        *,
        owner_id: str | None,
        team_id: str | None = None,
        closed: float | None = None,
        categories: tuple[str, ...] = (),
        thread_id: str | None = None,
        created: float = 1_714_550_000,
    ) -> None:
        """A ticket with its default and help-desk properties (HubSpot's values are strings)."""
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "properties": {
                "subject": f"Ticket {ticket_id}",
                "content": "",
                "hs_pipeline": "0",
                "hs_pipeline_stage": "4",
                "hubspot_owner_id": owner_id,
                "hubspot_team_id": team_id,
                "closed_date": iso(closed) if closed is not None else None,
                "hs_ticket_category": ";".join(categories) or None,
                "hs_conversations_originating_thread_id": thread_id,
                "createdate": iso(created),
                "hs_lastmodifieddate": iso(closed or created),
                "hs_object_id": ticket_id,
            },
            "createdAt": iso(created),
            "updatedAt": iso(closed or created),
            "archived": False,
        }

    def add_submission(
        self,
        submission_id: str,
        *,
        created: float,
        value: str | None,
        ticket_id: str | None,
        survey: str = "CSAT",
        content: str = "",
    ) -> None:
        """A survey response (CSAT 0-2, NPS 0-10, CES 1-7), associated with a ticket if given."""
        self.submissions[submission_id] = {
            "id": submission_id,
            "properties": {
                "hs_createdate": iso(created),
                "hs_lastmodifieddate": iso(created),
                "hs_object_id": submission_id,
                "hs_survey_type": survey,
                "hs_survey_name": f"{survey} survey",
                "hs_survey_id": {"CSAT": "5", "NPS": "6", "CES": "7"}.get(survey, "8"),
                "hs_survey_channel": "EMAIL",
                "hs_value": value,
                "hs_content": content or None,
                "hs_submission_timestamp": iso(created),
            },
            "createdAt": iso(created),
            "updatedAt": iso(created),
            "archived": False,
        }
        if ticket_id is not None:
            self.ticket_of[submission_id] = [ticket_id]

    def add_contact(self, contact_id: str, first: str, last: str, email: str) -> None:
        """A contact as GET /crm/v3/objects/contacts/{id} returns it."""
        self.contacts[contact_id] = {
            "id": contact_id,
            "properties": {
                "firstname": first,
                "lastname": last,
                "email": email,
                "createdate": "2024-01-17T19:55:04.281Z",
                "lastmodifieddate": "2024-01-17T19:55:04.281Z",
                "hs_object_id": contact_id,
            },
            "createdAt": "2024-01-17T19:55:04.281Z",
            "updatedAt": "2024-01-17T19:55:04.281Z",
            "archived": False,
        }

    def add_thread(
        self, thread_id: str, messages: list[dict[str, Any]], *, contact_id: str = "1001"
    ) -> None:
        """A conversation thread (PublicThread) and its messages, oldest first."""
        self.threads[thread_id] = {
            "id": thread_id,
            "createdAt": "2024-04-30T09:00:00.000Z",
            "closedAt": "2024-04-30T11:00:00.000Z",
            "status": "CLOSED",
            "inboxId": "147959634",
            "associatedContactId": contact_id,
            "originalChannelId": "1002",
            "originalChannelAccountId": "240983968",
            "latestMessageTimestamp": "2024-04-30T10:59:00.000Z",
            "spam": False,
            "archived": False,
            "assignedTo": "A-1234567",
        }
        for n, message in enumerate(messages):
            message.setdefault("id", f"{thread_id}-m{n}")
            message["conversationsThreadId"] = thread_id
            message.setdefault("createdAt", f"2024-04-30T10:{n:02d}:00.000Z")
            message.setdefault("updatedAt", message["createdAt"])
        self.messages[thread_id] = messages

    def rate_limit(self, path: str, *policies: str) -> None:
        """The next requests to `path` answer 429, one per policy: DAILY, TEN_SECONDLY_ROLLING
        (with the window headers) or SECONDLY (the search API's limit, with no headers)."""
        self.rate_limits.setdefault(path, []).extend(policies)

    # -- serving ---------------------------------------------------------------------------

    def install(self) -> FakeHubSpot:
        """Register every endpoint on the server."""
        routes: list[tuple[str | re.Pattern[str], str, Any]] = [
            (SEARCH, "POST", self._search),
            (ASSOCIATIONS, "POST", self._associations),
            (TICKETS_BATCH, "POST", self._tickets_batch),
            (OWNERS, "GET", self._owners),
            (re.compile(r"^/crm/v3/objects/tickets/[^/]+$"), "GET", self._ticket),
            (re.compile(r"^/crm/v3/objects/contacts/[^/]+$"), "GET", self._contact),
            (
                re.compile(r"^/conversations/v3/conversations/threads/[^/]+/messages$"),
                "GET",
                self._messages,
            ),
            (re.compile(r"^/conversations/v3/conversations/threads/[^/]+$"), "GET", self._thread),
        ]
        for path, method, handler in routes:
            self.server.expect_request(path, method=method).respond_with_handler(
                self._guard(handler)
            )
        return self

    def calls(self, path: str | None = None) -> list[Request]:
        """The requests the fake served (on a path, or all of them)."""
        return [r for r, _ in self.server.log if path is None or r.path == path]

    def _guard(self, handler: Any) -> Any:
        def serve(request: Request) -> Response:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return _error(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                )
            is_search = request.path == SEARCH
            queued = self.rate_limits.get(request.path) or []
            if queued:
                return self._limited(queued.pop(0))
            self.calls_today += 1
            response: Response = handler(request)
            if not is_search:  # "search API responses will not include the rate limit headers"
                response.headers.update(self._limit_headers())
            return response

        return serve

    def _limit_headers(self) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Daily": str(DAY_LIMIT),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, DAY_LIMIT - self.calls_today)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Remaining": "99",
            "X-HubSpot-RateLimit-Secondly": "10",
            "X-HubSpot-RateLimit-Secondly-Remaining": "9",
        }

    def _limited(self, policy: str) -> Response:
        body: dict[str, Any] = {
            "status": "error",
            "message": {
                "DAILY": "You have reached your daily limit.",
                "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
            }.get(policy, "You have reached your secondly limit."),
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "requestId": str(uuid.uuid4()),
        }
        headers: dict[str, str] = {}
        if policy == "TEN_SECONDLY_ROLLING":
            headers = {**self._limit_headers(), "X-HubSpot-RateLimit-Remaining": "0"}
        elif policy == "DAILY":
            headers = {**self._limit_headers(), "X-HubSpot-RateLimit-Daily-Remaining": "0"}
        return _json(body, 429, headers)

    def _query(self, request: Request, known: set[str]) -> None:
        for key in request.args:
            if key not in known:
                self.problems.append(f"{request.path}: unknown query parameter {key!r}")

    def _body(self, request: Request, known: set[str]) -> dict[str, Any] | Response:
        if "application/json" not in (request.content_type or ""):
            return _invalid("Content-Type must be application/json")
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return _invalid("Invalid input JSON on line 1")
        if not isinstance(body, dict):
            return _invalid("Invalid input JSON: expected an object")
        for key in body:
            if key not in known:
                self.problems.append(f"{request.path}: unknown body key {key!r}")
        return body

    def _properties(self, wanted: Any, allowed: set[str], where: str) -> list[str] | None:
        if wanted is None:
            return None
        if isinstance(wanted, str):
            wanted = [p for p in wanted.split(",") if p]
        names = [str(p) for p in wanted]
        for name in names:
            if name not in allowed:
                self.problems.append(f"{where}: property {name!r} does not exist")
        return names

    @staticmethod
    def _shown(obj: dict[str, Any], names: list[str] | None, defaults: set[str]) -> dict[str, Any]:
        """The object with only the requested properties (plus the defaults), unset ones null."""
        properties = obj["properties"]
        keep = defaults | set(names or [])
        return {**obj, "properties": {k: properties.get(k) for k in sorted(keep)}}

    # -- feedback submissions --------------------------------------------------------------

    def _search(self, request: Request) -> Response:
        body = self._body(
            request, {"after", "filterGroups", "limit", "properties", "query", "sorts"}
        )
        if isinstance(body, Response):
            return body
        self.search_bodies.append(body)
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= SEARCH_MAX:
            return _invalid(f"limit must be between 1 and {SEARCH_MAX}")
        after = body.get("after", "0")
        if not isinstance(after, str | int) or not str(after).isdigit():
            return _invalid("after must be formatted as an integer")
        start = int(after)
        if start + limit > SEARCH_CAP:
            return _invalid(
                "The search endpoints are limited to 10,000 total results for any given query."
            )
        if str(after) in self.failing_after:
            return Response("upstream request timeout", status=self.failing_after[str(after)])
        groups = body.get("filterGroups", [])
        if not isinstance(groups, list) or len(groups) > 5:
            return _invalid("a search can have at most 5 filterGroups")
        filters = [f for g in groups for f in (g.get("filters") or [])]
        if any(len(g.get("filters") or []) > 6 for g in groups) or len(filters) > 18:
            return _invalid("too many filters: 6 a group, 18 in all")
        for f in filters:
            if f.get("operator") not in OPERATORS or not isinstance(f.get("propertyName"), str):
                return _invalid(f"Invalid filter {json.dumps(f)}")
        sorts = body.get("sorts", [])
        if not isinstance(sorts, list) or len(sorts) > 1:
            return _invalid("only one sort can be applied to a search")
        names = self._properties(body.get("properties"), SUBMISSION_PROPERTIES, request.path)
        matching = [
            s
            for s in self.submissions.values()
            if not groups or any(self._matches(s, g.get("filters") or []) for g in groups)
        ]
        matching.sort(key=lambda s: int(s["id"]))  # "in order of object creation" by default
        for sort in sorts:
            name, descending = self._sort(sort)
            matching.sort(key=lambda s: self._sort_key(s, name), reverse=descending)
        chunk = matching[start : start + min(limit, self.page_size)]
        defaults = {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"}
        answer: dict[str, Any] = {
            "total": len(matching),
            "results": [self._shown(s, names, defaults) for s in chunk],
        }
        following = start + len(chunk)
        if following < len(matching):
            answer["paging"] = {"next": {"after": str(following), "link": f"?after={following}"}}
        return _json(answer)

    @staticmethod
    def _sort(sort: Any) -> tuple[str, bool]:
        if isinstance(sort, str):  # the spec's string form: "name" or "-name"
            return sort.lstrip("-"), sort.startswith("-")
        return str(sort["propertyName"]), sort.get("direction") == "DESCENDING"

    @staticmethod
    def _sort_key(obj: dict[str, Any], name: str) -> tuple[int, Any, int]:
        value = obj["properties"].get(name)
        if name in DATE_PROPERTIES and value is not None:
            value = _millis(value)
        return (value is None, value or 0, int(obj["id"]))

    @staticmethod
    def _matches(obj: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
        for f in filters:
            name, operator = f["propertyName"], f["operator"]
            actual = obj["properties"].get(name)
            if operator == "HAS_PROPERTY":
                ok = actual is not None
            elif operator == "NOT_HAS_PROPERTY":
                ok = actual is None
            elif actual is None:
                ok = False
            elif name in DATE_PROPERTIES:
                have, want = _millis(actual), _millis(str(f.get("value")))
                ok = {
                    "EQ": have == want,
                    "NEQ": have != want,
                    "GT": have > want,
                    "GTE": have >= want,
                    "LT": have < want,
                    "LTE": have <= want,
                }.get(operator, False)
            elif operator in ("EQ", "NEQ"):  # enumerations compare case-sensitively
                ok = (str(actual) == str(f.get("value"))) == (operator == "EQ")
            elif operator in ("IN", "NOT_IN"):
                ok = (str(actual) in [str(v) for v in f.get("values") or []]) == (operator == "IN")
            else:
                ok = False
            if not ok:
                return False
        return True

    def _associations(self, request: Request) -> Response:
        body = self._body(request, {"inputs"})
        if isinstance(body, Response):
            return body
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            return _invalid("inputs must be a non-empty list")
        if len(inputs) > ASSOCIATIONS_MAX:
            return _invalid(f"at most {ASSOCIATIONS_MAX} inputs a batch")
        results, errors = [], []
        for entry in inputs:
            source = str(entry.get("id")) if isinstance(entry, dict) else ""
            targets = self.ticket_of.get(source) if source in self.submissions else None
            if targets:
                results.append(
                    {
                        "from": {"id": source},
                        "to": [
                            {
                                "toObjectId": t,
                                "associationTypes": [
                                    {"category": "HUBSPOT_DEFINED", "typeId": 1152, "label": None}
                                ],
                            }
                            for t in targets
                        ],
                    }
                )
            else:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": f"No ticket is associated with feedback_submission {source}.",
                        "context": {"fromObjectId": [source]},
                        "errors": [],
                        "links": {},
                    }
                )
        return self._batch(results, errors)

    @staticmethod
    def _batch(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> Response:
        now = iso(datetime.now(UTC).timestamp())
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "requestedAt": now,
            "startedAt": now,
            "completedAt": now,
        }
        if errors:
            answer |= {"numErrors": len(errors), "errors": errors}
        return _json(answer, 207 if errors else 200)

    # -- tickets, owners, contacts ---------------------------------------------------------

    def _tickets_batch(self, request: Request) -> Response:
        self._query(request, {"archived"})
        body = self._body(request, {"inputs", "properties", "propertiesWithHistory", "idProperty"})
        if isinstance(body, Response):
            return body
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs or "properties" not in body:
            return _invalid("inputs and properties are required")
        if len(inputs) > BATCH_MAX:
            return _invalid(f"at most {BATCH_MAX} inputs a batch")
        names = self._properties(body.get("properties"), TICKET_PROPERTIES, request.path)
        defaults = {"createdate", "hs_lastmodifieddate", "hs_object_id"}
        ids = [str(e.get("id")) for e in inputs if isinstance(e, dict)]
        found = [self._shown(self.tickets[i], names, defaults) for i in ids if i in self.tickets]
        missing = [i for i in ids if i not in self.tickets]
        errors = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some TICKET objects, they may be deleted or not exist. "
                "Check that ids are valid.",
                "context": {"ids": missing},
                "errors": [],
                "links": {},
            }
        ]
        return self._batch(found, errors if missing else [])

    def _ticket(self, request: Request) -> Response:
        self._query(request, {"properties", "propertiesWithHistory", "associations", "archived",
                              "idProperty"})  # fmt: skip
        ticket = self.tickets.get(request.path.rsplit("/", 1)[1])
        if ticket is None:
            return _not_found()
        names = self._properties(request.args.get("properties"), TICKET_PROPERTIES, request.path)
        return _json(self._shown(ticket, names, {"createdate", "hs_lastmodifieddate",
                                                 "hs_object_id"}))  # fmt: skip

    def _owners(self, request: Request) -> Response:
        self._query(request, {"after", "archived", "email", "limit"})
        limit = request.args.get("limit", "100")
        after = request.args.get("after", "0")
        archived = request.args.get("archived", "false")
        if not limit.isdigit() or not after.isdigit() or archived not in ("true", "false"):
            return _invalid("limit and after must be integers, archived a boolean")
        pool = self.archived_owners if archived == "true" else self.owners
        listed = sorted(pool.values(), key=lambda o: int(o["id"]))
        start, size = int(after), min(int(limit), self.owner_page, OWNERS_MAX)
        answer: dict[str, Any] = {"results": listed[start : start + size]}
        if start + size < len(listed):
            answer["paging"] = {
                "next": {
                    "after": str(start + size),
                    "link": f"{self.base_url}{OWNERS}?after={start + size}",
                }
            }
        return _json(answer)

    def _contact(self, request: Request) -> Response:
        self._query(request, {"properties", "propertiesWithHistory", "associations", "archived",
                              "idProperty"})  # fmt: skip
        contact = self.contacts.get(request.path.rsplit("/", 1)[1])
        if contact is None:
            return _not_found()
        wanted = request.args.get("properties")
        names = [p for p in wanted.split(",") if p] if wanted else None
        return _json(self._shown(contact, names, {"createdate", "lastmodifieddate",
                                                  "hs_object_id"}))  # fmt: skip

    # -- conversations ---------------------------------------------------------------------

    def _thread(self, request: Request) -> Response:
        self._query(request, {"archived", "association", "property"})
        thread = self.threads.get(request.path.rsplit("/", 1)[1])
        return _json(thread) if thread else _not_found("Thread not found")

    def _messages(self, request: Request) -> Response:
        self._query(request, {"after", "archived", "limit", "property", "sort"})
        thread_id = request.path.split("/")[5]
        if thread_id not in self.threads:
            return _not_found("Thread not found")
        after = request.args.get("after", "0")
        limit = request.args.get("limit", str(self.message_page))
        if not after.isdigit() or not limit.isdigit():
            return _invalid("after and limit must be integers")
        messages = self.messages[thread_id]
        start, size = int(after), min(int(limit), self.message_page)
        answer: dict[str, Any] = {"results": messages[start : start + size]}
        if start + size < len(messages):
            answer["paging"] = {"next": {"after": str(start + size), "link": ""}}
        return _json(answer)


def message(
    direction: str,
    text: str,
    *,
    rich: str | None = None,
    sender: str = "Dana Whitfield",
    email: str | None = "dana@example.com",
    actor: str | None = None,
) -> dict[str, Any]:
    """A MESSAGE (PublicConversationsMessage) sent by the customer (INCOMING) or an agent."""
    incoming = direction == "INCOMING"
    identifier = {"type": "HS_EMAIL_ADDRESS", "value": email} if email else None
    return {
        "type": "MESSAGE",
        "createdBy": actor or ("V-1001" if incoming else "A-1234567"),
        "client": {"clientType": "HUBSPOT"},
        "senders": [
            {
                "actorId": actor or ("V-1001" if incoming else "A-1234567"),
                "name": sender,
                **({"deliveryIdentifier": identifier} if identifier else {}),
            }
        ],
        "recipients": [],
        "archived": False,
        "text": text,
        "richText": rich if rich is not None else f"<div>{text}</div>",
        "attachments": [],
        "truncationStatus": "NOT_TRUNCATED",
        "status": {"statusType": "SENT" if not incoming else "RECEIVED"},
        "direction": direction,
        "channelId": "1002",
        "channelAccountId": "240983968",
    }


def comment(text: str) -> dict[str, Any]:
    """An internal COMMENT (PublicComment): a note between agents."""
    return {
        "type": "COMMENT",
        "createdBy": "A-1234567",
        "client": {"clientType": "HUBSPOT"},
        "senders": [{"actorId": "A-1234567", "name": "Mark Strong"}],
        "recipients": [],
        "archived": False,
        "text": text,
        "richText": f"<p>{text}</p>",
        "attachments": [],
    }
