"""Who a conversation is assigned to, as each connector that can say it reads it from its API
(the "Coach on this" shortcut asks when the conversation wasn't imported)."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from bot.core.settings import Settings
from bot.ingest.helpdesks import HelpdeskNotFound, KnowsAssignee, helpdesk_for
from bot.ingest.helpdesks.http_client import RetryPolicy

ONCE = RetryPolicy(max_retries=0, max_rate_limit_waits=0, timeout=5.0)


def _connector(httpserver: HTTPServer, desk: str) -> KnowsAssignee:
    base = httpserver.url_for("").rstrip("/")
    update: dict[str, Any] = {
        "zendesk": {"zendesk_base_url": base, "zendesk_email": "a@b.c", "zendesk_token": "t"},
        "intercom": {"intercom_base_url": base, "intercom_token": "t"},
        "gorgias": {"gorgias_base_url": base, "gorgias_email": "a@b.c", "gorgias_api_key": "k"},
        "freshdesk": {"freshdesk_base_url": base, "freshdesk_api_key": "k"},
        "hubspot": {"hubspot_base_url": base, "hubspot_token": "t"},
        "helpscout": {"helpscout_base_url": base, "helpscout_app_id": f"id-{base}",
                      "helpscout_app_secret": "s"},
    }[desk]  # fmt: skip
    if desk == "helpscout":
        httpserver.expect_request("/v2/oauth2/token", method="POST").respond_with_json(
            {"access_token": "tok", "token_type": "bearer", "expires_in": 7200}
        )
    connector = helpdesk_for(Settings(DATABASE_URL="sqlite://").model_copy(update=update), desk,
                             policy=ONCE)  # fmt: skip
    assert isinstance(connector, KnowsAssignee)
    return connector


# helpdesk, the path read, what it answers when assigned, and when not
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("intercom", "/conversations/215467",
     {"type": "conversation", "id": "215467", "admin_assignee_id": 814},
     {"type": "conversation", "id": "215467", "admin_assignee_id": None}),
    ("freshdesk", "/api/v2/tickets/51", {"id": 51, "responder_id": 5},
     {"id": 51, "responder_id": None}),
    ("hubspot", "/crm/v3/objects/tickets/1235",
     {"id": "1235", "properties": {"hubspot_owner_id": "77"}},
     {"id": "1235", "properties": {"hubspot_owner_id": None}}),
    ("gorgias", "/api/tickets/9911",
     {"id": 9911, "assignee_user": {"id": 3, "email": "sarah@acme.test", "name": "Sarah Connor"}},
     {"id": 9911, "assignee_user": None}),
    ("helpscout", "/v2/conversations/2201",
     {"id": 2201, "assignee": {"id": 7, "first": "Sarah", "last": "Connor", "type": "user",
                               "email": "sarah@acme.test"}},
     {"id": 2201}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("desk", "path", "assigned", "unassigned"), CASES, ids=[c[0] for c in CASES]
)
def test_each_connector_says_who_is_assigned(httpserver, desk, path, assigned, unassigned):
    if desk == "intercom":
        httpserver.expect_request("/admins").respond_with_json(
            {"type": "admin.list", "admins": [
                {"type": "admin", "id": "814", "name": "Sarah Connor", "email": "sarah@acme.test"}]}
        )  # fmt: skip
    if desk == "freshdesk":
        httpserver.expect_request("/api/v2/agents").respond_with_json(
            [{"id": 5, "contact": {"name": "Sarah Connor", "email": "sarah@acme.test"}}]
        )
    if desk == "hubspot":
        httpserver.expect_request("/crm/v3/owners").respond_with_json(
            {"results": [{"id": "77", "firstName": "Sarah", "lastName": "Connor",
                          "email": "sarah@acme.test", "type": "PERSON"}]}
        )  # fmt: skip
    httpserver.expect_oneshot_request(path).respond_with_json(assigned)
    httpserver.expect_oneshot_request(path).respond_with_json(unassigned)
    gone = path.rsplit("/", 1)[0] + "/404404"
    httpserver.expect_request(gone).respond_with_json({"message": "Not found"}, status=404)
    connector = _connector(httpserver, desk)
    try:
        assert connector.assignee(path.rsplit("/", 1)[1]) == ("Sarah Connor", "sarah@acme.test")
        assert connector.assignee(path.rsplit("/", 1)[1]) is None
        with pytest.raises(HelpdeskNotFound):
            connector.assignee("404404")
    finally:
        connector.close()  # type: ignore[attr-defined]


NUMBERED = ["zendesk", "freshdesk", "hubspot", "gorgias", "helpscout"]


@pytest.mark.parametrize("desk", NUMBERED)
@pytest.mark.parametrize("external_id", ["²", "٣", "１２", "1²"])
def test_a_number_in_another_script_is_no_conversation(httpserver, desk, external_id):
    """A link's percent-encoded id may be any digit Unicode knows: "²" must not crash int() and
    "٣" must not be read as conversation 3 (whose assignee and transcript are another's)."""
    connector = _connector(httpserver, desk)
    try:
        with pytest.raises(HelpdeskNotFound):
            connector.assignee(external_id)
        with pytest.raises(HelpdeskNotFound):
            connector.transcript(external_id)  # type: ignore[attr-defined]
    finally:
        connector.close()  # type: ignore[attr-defined]
    assert [r for r, _ in httpserver.log if "oauth2" not in r.path] == []
