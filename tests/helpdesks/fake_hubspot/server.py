"""``FakeHubSpot``: every endpoint the connector calls, served on pytest-httpserver as HubSpot
answers (auth, rate limits, body shapes, limits, cursors and the Error shape)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from werkzeug import Request, Response

from tests.helpdesks.fake_hubspot.api import (
    ASSOCIATIONS,
    ASSOCIATIONS_MAX,
    BATCH_MAX,
    DATE_PROPERTIES,
    DAY_LIMIT,
    OPERATORS,
    OWNERS,
    OWNERS_MAX,
    SEARCH,
    SEARCH_CAP,
    SEARCH_MAX,
    SUBMISSION_PROPERTIES,
    TICKET_PROPERTIES,
    TICKETS_BATCH,
    TOKEN,
    iso,
)
from tests.helpdesks.fake_hubspot.records import _Records


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


class FakeHubSpot(_Records):
    """Owners, tickets, feedback submissions, threads and contacts, served like HubSpot."""

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
