"""SPEC §6 over REST: every route × every kind of caller, enforced by the domain Slack uses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.db import session_scope
from bot.core.settings import Settings
from models import AuditEntry, Note, Sample
from tests.rest_support import Api, Team, make_team


@pytest.fixture()
def team(session) -> Team:
    return make_team(session)


@pytest.fixture()
def api(settings: Settings, team: Team) -> Iterator[Api]:
    with TestClient(create_web_app(Services(settings), None)) as http:
        yield Api(http, team.tokens)


CALLERS = ["owner", "admin", "member_own", "member_other", "none", "revoked", "garbage"]
ROUTES = ["get", "create", "patch", "delete", "pin", "ack", "reply"]
# the agent's side (ack, reply) is the member's own: a lead acting as the agent is refused too
LEAD = {
    "get": 200,
    "create": 201,
    "patch": 200,
    "delete": 204,
    "pin": 201,
    "ack": 403,
    "reply": 403,
}
EXPECTED = {
    "owner": LEAD,
    "admin": LEAD,
    "member_own": {
        "get": 200,
        "create": 403,
        "patch": 403,
        "delete": 403,
        "pin": 403,
        "ack": 200,
        "reply": 201,
    },
    "member_other": dict.fromkeys(ROUTES, 403),
    "none": dict.fromkeys(ROUTES, 401),
    "revoked": dict.fromkeys(ROUTES, 401),
    "garbage": dict.fromkeys(ROUTES, 401),
}


def request_for(route: str, caller: str, team: Team) -> tuple[str, str, dict[str, Any]]:
    """The request a caller makes: a member on Becky (own) or Sarah (other); leads on Sarah."""
    own = caller not in ("owner", "admin", "member_other")
    name, ext = ("Becky Jones", "9002") if own else ("Sarah Connor", "9001")
    note = team.notes["becky_shared"] if own else team.notes["sarah"]
    return {
        "get": ("GET", "/coaching", {"params": {"agent": name}}),
        "create": ("POST", "/coaching/notes", {"json": {"agent": name, "body": "Nice work."}}),
        "patch": ("PATCH", f"/coaching/notes/{note}", {"json": {"body": "Changed."}}),
        "delete": ("DELETE", f"/coaching/notes/{note}", {}),
        "ack": ("POST", f"/coaching/notes/{note}/acknowledge", {}),
        "reply": (
            "POST",
            f"/coaching/notes/{note}/replies",
            {"json": {"body": "Thanks, will do."}},
        ),
        "pin": (
            "POST",
            "/coaching/samples",
            {"json": {"agent": name, "helpdesk": "zendesk", "externalId": ext}},
        ),
    }[route]


def token_of(caller: str) -> str | None:
    return {"member_own": "member", "member_other": "member", "none": None}.get(caller, caller)


def counts(db: str) -> tuple[int, int, int, int]:
    with session_scope(db) as s:
        live = s.scalar(select(func.count()).select_from(Note).where(Note.archived_at.is_(None)))
        notes = s.scalar(select(func.count()).select_from(Note))
        samples = s.scalar(select(func.count()).select_from(Sample))
        entries = s.scalar(select(func.count()).select_from(AuditEntry))
        return int(live or 0), int(notes or 0), int(samples or 0), int(entries or 0)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
def test_scope_matrix(api: Api, team: Team, db: str, route: str, caller: str) -> None:
    method, path, kwargs = request_for(route, caller, team)
    before = counts(db)
    answer = api(method, path, token_of(caller), **kwargs)
    expected = EXPECTED[caller][route]
    assert answer.status_code == expected, (route, caller, answer.text)
    if expected >= 400:
        assert set(answer.json()) == {"error"}
        assert counts(db) == before  # a refusal changes nothing
    if expected == 401:
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    if expected == 403:
        assert "Sarah" not in answer.text  # a member never learns other agents' names
    if route == "get" and caller == "member_own":
        assert [n["body"] for n in answer.json()["notes"]] == ["Great save on the refund call!"]
    if expected < 400:
        own = caller == "member_own"
        agent = "Becky Jones" if own else "Sarah Connor"
        body = answer.json() if answer.content else None
        assert_effect(route, agent, body, before, counts(db))


# what an allowed request changes: (live notes, all notes, samples, audit entries)
EFFECTS = {
    "get": (0, 0, 0, 0),
    "create": (1, 1, 0, 1),
    "patch": (0, 0, 0, 1),
    "delete": (-1, 0, 0, 1),
    "pin": (0, 0, 1, 1),
    "ack": (0, 0, 0, 1),
    "reply": (0, 0, 0, 1),
}


def assert_effect(
    route: str,
    agent: str,
    body: Any,
    before: tuple[int, int, int, int],
    after: tuple[int, int, int, int],
) -> None:
    """An allowed request did what it says, once, and left its audit entry."""
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == EFFECTS[route], route
    if route in ("create", "patch"):
        assert body["body"] == ("Nice work." if route == "create" else "Changed.")
        assert body["agent"] == agent
    if route == "get":
        assert body["agent"]["name"] == agent
    if route == "ack":
        assert body["acknowledgedAt"] is not None and body["agent"] == agent
    if route == "reply":
        assert body["body"] == "Thanks, will do." and body["redacted"] == 0
    if route == "pin":
        assert body["agent"] == agent
        assert body["externalId"] == ("9002" if agent == "Becky Jones" else "9001")


@pytest.mark.parametrize("query", ["Sarah", "Nobody at all", "<@USARAHAGENT>", "Sarah Lee"])
def test_a_member_asking_for_any_other_name_gets_403_and_no_names(api, team, query):
    answer = api("GET", "/coaching", "member", params={"agent": query})
    assert answer.status_code == 403
    assert answer.json() == {"error": "You can only see your own coaching record."}


def test_a_member_cannot_reach_a_private_note_of_their_own_record(api, team):
    note = team.notes["becky_private"]
    assert api("PATCH", f"/coaching/notes/{note}", "member", json={"body": "x"}).status_code == 403
    assert api("DELETE", f"/coaching/notes/{note}", "member").status_code == 403


def test_a_token_acts_with_its_members_current_role(api, team, session):
    from tests import factories as f

    f.member(session, "UADMIN", "member", agent="Sarah Lee")
    session.commit()
    assert api("GET", "/coaching", "admin", params={"agent": "Becky"}).status_code == 403
    assert api("GET", "/coaching", "admin", params={"agent": "Sarah Lee"}).status_code == 200


def test_removing_the_member_ends_their_tokens(api, team, session):
    from bot.people.members import remove_member

    remove_member(session=session, actor="test", slack_user_id="UADMIN")
    session.commit()
    assert api("GET", "/coaching", "admin", params={"agent": "Becky"}).status_code == 401


def test_bearer_is_the_only_scheme(api, team):
    token = team.tokens["owner"]
    for header in (f"Basic {token}", f"Token {token}", token, "Bearer", "Bearer "):
        answer = api("GET", "/coaching", None, params={"agent": "Becky"},
                     headers={"Authorization": header})  # fmt: skip
        assert answer.status_code == 401, header
    ok = api("GET", "/coaching", None, params={"agent": "Becky"},
             headers={"Authorization": f"bearer {token}"})  # fmt: skip
    assert ok.status_code == 200
