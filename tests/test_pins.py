"""Pinning a conversation by helpdesk and id: from an import, from a connector, once."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from blocks.ids import ActionId, BlockId
from bot.ai.offline import OfflineSummarizer
from bot.coaching.pins import pin_form_agent, pin_sample
from bot.core.db import session_scope
from bot.core.errors import InvalidInput, OutOfScope
from bot.ingest.importer import import_file
from models import AuditEntry, Sample
from models.sample import SampleSource
from tests import factories as f

TRANSCRIPT = "Customer: I'm Ana Silva, ana@example.com. The app logs me out every five minutes since Monday.\\nAgent: Please reinstall."


@pytest.fixture()
def team(session, settings, tmp_path):
    f.member(session, "ULEAD", "owner")
    f.member(session, "USARAH", "member")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD")
    omar = f.agent(session, "Omar")
    session.commit()
    path = tmp_path / "c.csv"
    path.write_text(
        "helpdesk,external_id,agent,closed_at,csat,transcript,customer_name,customer_email\n"
        f'zendesk,77,Sarah Connor,2026-11-10T10:00:00Z,2,"{TRANSCRIPT}",Ana Silva,ana@example.com\n'
    )
    import_file(session_factory=partial(session_scope, settings.database_url), path=path)
    return {"sarah": sarah.id, "omar": omar.id}


def pin(settings, session, user, agent_id, desk="zendesk", ext="77", **kw):
    return pin_sample(
        session_factory=partial(session_scope, settings.database_url),
        settings=settings,
        actor=f.viewer(session, user),
        agent_id=agent_id,
        helpdesk=desk,
        external_id=ext,
        summarizer=OfflineSummarizer(),
        **kw,
    )


def test_pin_an_imported_conversation_once(settings, session, team):
    first = pin(settings, session, "ULEAD", team["sarah"])
    again = pin(settings, session, "ULEAD", team["sarah"], ext="#77")
    assert first.created and not again.created and first.sample_id == again.sample_id
    with session_scope(settings.database_url) as s:
        sample = s.get(Sample, first.sample_id)
        assert sample is not None and sample.source == SampleSource.MANUAL and sample.csat == 2.0
        assert "logs me out every five minutes" in sample.summary
        assert "Ana" not in sample.summary and "ana@example.com" not in sample.summary
        [audit] = s.scalars(select(AuditEntry).where(AuditEntry.action == "sample.pin")).all()
        assert audit.actor == "ULEAD" and audit.entity_id == first.sample_id
        assert audit.after is not None and audit.after["external_id"] == "77"
        assert "logs me out" not in json.dumps(audit.after)  # the summary stays in samples only


def test_pin_refusals(settings, session, team):
    pin(settings, session, "ULEAD", team["sarah"])
    with pytest.raises(InvalidInput, match="another agent"):
        pin(settings, session, "ULEAD", team["omar"])
    with pytest.raises(InvalidInput, match="no zendesk connector"):
        pin(settings, session, "ULEAD", team["sarah"], ext="999")
    with pytest.raises(InvalidInput, match="helpdesk must be one of"):
        pin(settings, session, "ULEAD", team["sarah"], desk="kustomer")
    with pytest.raises(OutOfScope):
        pin(settings, session, "USARAH", team["sarah"], ext="78")


def test_pin_through_the_zendesk_connector(settings, session, team, httpserver: HTTPServer):
    httpserver.expect_request("/api/v2/tickets/4512.json").respond_with_json(
        {"ticket": {"id": 4512, "requester_id": 1, "subject": "Refund"}}
    )
    httpserver.expect_request("/api/v2/users/show_many.json").respond_with_json(
        {"users": [{"id": 1, "name": "Ana Silva", "email": "ana@example.com", "role": "end-user"}]}
    )
    httpserver.expect_request("/api/v2/users/1.json").respond_with_json(
        {"user": {"id": 1, "name": "Ana Silva", "email": "ana@example.com", "role": "end-user"}}
    )
    httpserver.expect_request("/api/v2/tickets/4512/comments.json").respond_with_json(
        {
            "comments": [
                {
                    "author_id": 1,
                    "public": True,
                    "plain_body": "Ana Silva here, my refund for order 5512 never arrived after three weeks.",
                },
                {"author_id": 2, "public": True, "plain_body": "Sorry, let me check."},
            ],
            "next_page": None,
        }
    )
    connected = settings.model_copy(
        update={
            "zendesk_base_url": httpserver.url_for("").rstrip("/"),
            "zendesk_email": "a@b.c",
            "zendesk_token": "t",
        }
    )
    result = pin(connected, session, "ULEAD", team["sarah"], ext="4512", csat=1)
    with session_scope(settings.database_url) as s:
        sample = s.get(Sample, result.sample_id)
        assert sample is not None and sample.csat == 1.0 and sample.closed_at is None
        assert "never arrived" in sample.summary and "Ana" not in sample.summary


def test_pin_from_the_coach_modal(slack, team, fake_slack, settings):
    slack.command("ULEAD", "Sarah Connor")
    root = fake_slack.views[fake_slack.calls_to("views.open")[0].response["view"]["id"]]
    slack.click("ULEAD", ActionId.PIN_OPEN, str(team["sarah"]), view=root)
    [push] = fake_slack.calls_to("views.push")
    form = fake_slack.views[push.response["view"]["id"]]
    assert "*Sarah Connor*'s record" in json.dumps(form["blocks"])
    values: dict[str, dict[str, dict[str, Any]]] = {
        BlockId.PIN_HELPDESK: {
            ActionId.PIN_HELPDESK: {
                "type": "static_select",
                "selected_option": {"value": "zendesk"},
            }
        },
        BlockId.PIN_ID: {ActionId.PIN_ID: {"type": "plain_text_input", "value": "77"}},
        BlockId.PIN_CSAT: {ActionId.PIN_CSAT: {"type": "number_input", "value": None}},
    }
    answer = slack.payload(
        {"type": "view_submission", "user": {"id": "ULEAD"}, "team": {"id": "T1"}, "api_app_id": "A1",
         "trigger_id": fake_slack.issue_trigger(form["id"]), "view": {**form, "state": {"values": values}}}
    )  # fmt: skip
    assert answer.status_code == 200 and not answer.content
    [update] = fake_slack.calls_to("views.update")
    assert update.args["view_id"] == root["id"]
    shown = json.dumps(fake_slack.views[root["id"]]["blocks"])
    assert "pinned" in shown and "#77" in shown
    values[BlockId.PIN_ID][ActionId.PIN_ID]["value"] = "   "
    bad = slack.payload(
        {"type": "view_submission", "user": {"id": "ULEAD"}, "team": {"id": "T1"}, "api_app_id": "A1",
         "trigger_id": fake_slack.issue_trigger(form["id"]), "view": {**form, "state": {"values": values}}}
    )  # fmt: skip
    assert bad.json()["response_action"] == "errors" and BlockId.PIN_ID in bad.json()["errors"]
    with session_scope(settings.database_url) as s:
        assert len(s.scalars(select(Sample)).all()) == 1


def test_only_a_lead_gets_the_pin_form(session, team):
    f.member(session, "UMEMBER", "member", agent="Sarah Connor")
    session.commit()
    name = pin_form_agent(session=session, slack_user_id="ULEAD", agent_id=team["sarah"])
    assert name == "Sarah Connor"
    with pytest.raises(OutOfScope):
        pin_form_agent(session=session, slack_user_id="UMEMBER", agent_id=team["sarah"])
