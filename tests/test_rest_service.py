"""The coaching REST API around the notes (SPEC §5): pinning a sample through the helpdesk
connector, one record with Slack, rate limits, health, a database outage and the OpenAPI
document (reading, writing and validation: test_rest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer

from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.db import session_scope
from bot.core.rate_limit import RateLimited, RateLimiter
from bot.core.settings import Settings
from models import Sample
from tests.rest_support import DAY_MS, Api, Team, make_team, note_body, now_ms


@pytest.fixture()
def team(session) -> Team:
    return make_team(session)


@pytest.fixture()
def api(settings: Settings, team: Team) -> Iterator[Api]:
    with TestClient(create_web_app(Services(settings), None)) as http:
        yield Api(http, team.tokens)


# --- pinning -------------------------------------------------------------------------------


def zendesk(httpserver: HTTPServer, ticket: str = "4512") -> None:
    httpserver.expect_request(f"/api/v2/tickets/{ticket}.json").respond_with_json(
        {"ticket": {"id": int(ticket), "requester_id": 1, "subject": "Refund"}}
    )
    user = {"id": 1, "name": "Ana Silva", "email": "ana@example.com", "role": "end-user"}
    httpserver.expect_request("/api/v2/users/show_many.json").respond_with_json({"users": [user]})
    httpserver.expect_request("/api/v2/users/1.json").respond_with_json({"user": user})
    httpserver.expect_request(f"/api/v2/tickets/{ticket}/comments.json").respond_with_json(
        {
            "comments": [
                {
                    "author_id": 1,
                    "public": True,
                    "plain_body": "Ana Silva here (ana@example.com), my refund for order 5512 "
                    "never arrived after three weeks.",
                },
                {"author_id": 2, "public": True, "plain_body": "Sorry, let me check."},
            ],
            "next_page": None,
        }
    )


def test_pin_fetches_through_the_connector_stores_a_redacted_summary_once(
    settings, team, httpserver, db
):
    zendesk(httpserver)
    connected = settings.model_copy(
        update={
            "zendesk_base_url": httpserver.url_for("").rstrip("/"),
            "zendesk_email": "a@b.c",
            "zendesk_token": "t",
            "zendesk_subdomain": "acme",
        }
    )
    closed = now_ms() - 2 * DAY_MS
    body = {
        "agent": "Sarah Connor",
        "helpdesk": "zendesk",
        "externalId": "4512",
        "csat": 1,
        "closedAt": closed,
    }
    with TestClient(create_web_app(Services(connected), None)) as http:
        api = Api(http, team.tokens)
        first = api("POST", "/coaching/samples", json=body)
        assert first.status_code == 201, first.text
        sample = first.json()
        assert sample["source"] == "manual" and sample["csat"] == 1.0
        assert sample["closedAt"] == closed and sample["agent"] == "Sarah Connor"
        assert sample["url"] == "https://acme.zendesk.com/agent/tickets/4512"
        assert "never arrived" in sample["summary"]
        assert "Ana" not in sample["summary"] and "ana@example.com" not in sample["summary"]
        again = api("POST", "/coaching/samples", json={**body, "externalId": "#4512"})
        assert again.status_code == 200 and again.json() == sample
        record = api("GET", "/coaching", params={"agent": "Sarah Connor"}).json()
        assert sample["id"] in [s["id"] for s in record["samples"]]
    with session_scope(db) as s:
        stored = s.get(Sample, sample["id"])
        assert stored is not None and stored.summary == sample["summary"]


def test_pin_refusals(api, team):
    pin = {"agent": "Sarah Connor", "helpdesk": "zendesk", "externalId": "9001"}
    assert api("POST", "/coaching/samples", json=pin).status_code == 201
    other = api("POST", "/coaching/samples", json={**pin, "agent": "Becky Jones"})
    assert other.status_code == 422 and "another agent" in other.json()["error"]
    unknown = api("POST", "/coaching/samples", json={**pin, "externalId": "777"})
    assert unknown.status_code == 422 and "connector" in unknown.json()["error"]
    desk = api("POST", "/coaching/samples", json={**pin, "helpdesk": "kustomer"})
    assert desk.status_code == 422 and "helpdesk" in desk.json()["error"]
    csat = api("POST", "/coaching/samples", json={**pin, "csat": 9})
    assert csat.status_code == 422 and "csat" in csat.json()["error"]
    missing = api("POST", "/coaching/samples", json={"agent": "Sarah Connor"})
    assert missing.status_code == 422


def test_a_helpdesk_outage_is_502_not_500(settings, team, httpserver):
    httpserver.expect_request("/api/v2/tickets/4512.json").respond_with_data("no", status=401)
    connected = settings.model_copy(
        update={
            "zendesk_base_url": httpserver.url_for("").rstrip("/"),
            "zendesk_email": "a@b.c",
            "zendesk_token": "t",
        }
    )
    with TestClient(create_web_app(Services(connected), None)) as http:
        answer = Api(http, team.tokens)(
            "POST",
            "/coaching/samples",
            json={"agent": "Sarah Connor", "helpdesk": "zendesk", "externalId": "4512"},
        )
    assert answer.status_code == 502 and "error" in answer.json()


# --- one record with Slack -----------------------------------------------------------------


def opened_view(fake, index: int = -1):
    call = fake.calls_to("views.open")[index]
    return fake.views[call.response["view"]["id"]]


def test_a_note_made_over_rest_shows_in_the_coach_modal_and_back(slack, team, fake_slack):
    api = Api(slack.http, team.tokens)
    made = api("POST", "/coaching/notes", json={"agent": "Sarah Connor", "body": "From REST."})
    assert made.status_code == 201
    slack.command("UOWNER", "Sarah Connor")
    view = opened_view(fake_slack)
    assert "From REST." in json.dumps(view["blocks"])
    answer = slack.submit("UOWNER", view, body="From the modal.", share=True)
    assert answer.status_code == 200 and answer.json()["response_action"] == "update"
    notes = api("GET", "/coaching", params={"agent": "Sarah Connor"}).json()["notes"]
    assert [n["body"] for n in notes][:2] == ["From the modal.", "From REST."]
    assert notes[0]["sharedWithAgent"] is True and notes[0]["author"] == "UOWNER"
    edited = api("PATCH", f"/coaching/notes/{notes[0]['id']}", json={"body": "Edited over REST."})
    assert edited.status_code == 200
    slack.command("UOWNER", "Sarah Connor")
    shown = json.dumps(opened_view(fake_slack)["blocks"])
    assert "Edited over REST." in shown and "From the modal." not in shown


# --- limits, health, outage and the document -----------------------------------------------


def test_rate_limit_answers_429_with_retry_after_per_token(settings, team):
    limited = settings.model_copy(update={"api_rate_limit": 3})
    with TestClient(create_web_app(Services(limited), None)) as http:
        api = Api(http, team.tokens)
        for _ in range(3):
            assert api("GET", "/coaching", params={"agent": "Becky"}).status_code == 200
        refused = api("GET", "/coaching", params={"agent": "Becky"})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Too many requests" in refused.json()["error"]
        assert api("POST", "/coaching/notes", json=note_body()).status_code == 429
        assert api("GET", "/coaching", "admin", params={"agent": "Becky"}).status_code == 200


def test_rate_limiter_window_slides():
    clock = [100.0]
    limiter = RateLimiter(2, window=60, clock=lambda: clock[0])
    limiter.hit("a")
    clock[0] = 130.0
    limiter.hit("a")
    limiter.hit("b")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("a")
    assert refused.value.retry_after == 30
    clock[0] = 160.5
    limiter.hit("a")
    with pytest.raises(RateLimited):
        limiter.hit("a")


def test_healthz_and_openapi_need_no_token(api):
    assert api("GET", "/healthz", None).status_code == 200
    assert api("GET", "/openapi.json", None).status_code == 200


def test_the_api_says_503_when_the_database_is_down(settings):
    broken = settings.model_copy(
        update={"database_url": "sqlite:////nonexistent-debrief-dir/sub/debrief.db"}
    )
    with TestClient(create_web_app(Services(broken), None)) as http:
        answer = http.get(
            "/coaching", params={"agent": "x"}, headers={"Authorization": "Bearer dbf_x"}
        )
    assert answer.status_code == 503 and "nothing was changed" in answer.json()["error"]


def test_openapi_documents_every_route_body_answer_and_error(api):
    spec = api("GET", "/openapi.json", None).json()
    operations = {
        (path, method): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/coaching")
    }
    assert set(operations) == {
        ("/coaching", "get"),
        ("/coaching/notes", "post"),
        ("/coaching/notes/{id}", "patch"),
        ("/coaching/notes/{id}", "delete"),
        ("/coaching/samples", "post"),
        ("/coaching/notes/{id}/acknowledge", "post"),
        ("/coaching/notes/{id}/replies", "post"),
        ("/coaching/samples/by-link", "post"),
        ("/coaching/ai-agreement", "get"),
    }
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "debrief token",
        "description": "A token from `debrief tokens create SLACK_USER_ID`.",
    }
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for (path, method), op in operations.items():
        assert op["security"] == [{"HTTPBearer": []}], (path, method)
        for code in ("401", "403", "404", "422", "429"):
            assert op["responses"][code]["content"]["application/json"]["schema"] == error
        assert "Retry-After" in op["responses"]["429"]["headers"]
        if method in ("post", "patch") and not path.endswith("/acknowledge"):
            assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert operations[("/coaching", "get")]["responses"]["409"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/AmbiguousOut"}
    schemas = spec["components"]["schemas"]
    assert schemas["NoteCreate"]["additionalProperties"] is False
    assert set(schemas["NoteOut"]["required"]) == {
        "id", "agent", "author", "body", "sampleId", "sharedWithAgent", "followUpAt",
        "followUpDoneAt", "createdAt", "updatedAt", "seenAt", "acknowledgedAt", "replies",
    }  # fmt: skip
    assert "/healthz" not in spec["paths"] and "/slack/events" not in spec["paths"]
