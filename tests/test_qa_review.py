"""The lead's QA review queue: draft DMs once each, approve / edit / reject, and their records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select, update

from blocks.ids import KEEP_VALUE, ActionId, BlockId, CallbackId
from blocks.kit import MESSAGE_MAX_BLOCKS, MODAL_MAX_BLOCKS, SECTION_MAX
from blocks.qa_review import draft_message, edit_modal
from bot.app.slack import slack_client
from bot.coaching.record import load_coach_record
from bot.core.db import session_scope
from bot.core.errors import InvalidInput, OutOfScope
from bot.core.settings import Settings
from bot.qa.dms import deliver_drafts
from bot.qa.review import (
    AlreadyDecided,
    PointEdit,
    approve_draft,
    draft_view,
    edit_draft,
    process_issues,
    reject_draft,
)
from handlers.notifier import SlackDraftNotifier
from models import (
    AuditEntry,
    Delivery,
    DraftStatus,
    MeasurementEvent,
    Note,
    ProcessIssue,
    QaDraft,
    Rubric,
)
from tests import factories as f

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)

POINTS: list[dict[str, Any]] = [
    {
        "text": "Acknowledge the double charge before explaining the fix.",
        "rootCause": "agent_behavior",
        "evidence": ["Sure, it's done. Anything else?"],
    },
    {
        "text": "The refunds article doesn't say how long a refund takes to arrive.",
        "rootCause": "documentation",
        "evidence": ["Nothing arrived the last time either."],
        "topic": "refund timing",
    },
    {
        "text": "Policy is unclear on refunding a plan charged twice.",
        "rootCause": "policy",
        "evidence": ["was charged twice for the March plan"],
    },
]
SCORES = [
    {"criterion": "Empathy", "score": 2, "max": 4},
    {"criterion": "Resolution", "score": 3, "max": 4},
]


def make_draft(session, agent_id: int, rubric_id: int, **overrides: Any) -> QaDraft:
    values: dict[str, Any] = dict(
        helpdesk="zendesk",
        external_id=str(7000 + session.query(QaDraft).count()),
        agent_id=agent_id,
        rubric_id=rubric_id,
        engine="offline",
        summary="The customer was charged twice; the agent refunded it without acknowledging it.",
        scores=SCORES,
        points=[dict(p) for p in POINTS],
        dropped_points=1,
        policy_exception=True,
        customer_risk=["refund_demand"],
        confidence=0.42,
        route="lead_review",
        note="Offline heuristic draft: low confidence.",
    )
    values.update(overrides)
    draft = QaDraft(**values)
    session.add(draft)
    session.flush()
    return draft


class World:
    def __init__(self, settings: Settings, becky: int, dan: int, rubric: int) -> None:
        self.settings, self.becky, self.dan, self.rubric = settings, becky, dan, rubric

    def draft(self, agent_id: int | None = None, **overrides: Any) -> int:
        with session_scope(self.settings.database_url) as s:
            return make_draft(s, agent_id or self.becky, self.rubric, **overrides).id

    def viewer(self, user: str):
        with session_scope(self.settings.database_url) as s:
            return f.viewer(s, user)


@pytest.fixture()
def world(settings: Settings, session, fake_slack) -> World:
    f.member(session, "ULEAD", "owner")
    f.member(session, "UADMIN", "admin")
    becky = f.agent(session, "Becky Ortiz", lead="ULEAD")
    dan = f.agent(session, "Dan Lee")
    f.member(session, "UBECKY", "member", agent="Becky Ortiz")
    rubric = Rubric(version=1, name="Support basics", criteria=[{"name": "Empathy"}],
                    source_sha256="0" * 64, approved_by="ULEAD")  # fmt: skip
    session.add(rubric)
    session.flush()
    ids = (becky.id, dan.id, rubric.id)
    session.commit()
    for user in ("ULEAD", "UADMIN", "UBECKY"):
        fake_slack.add_user(user)
    linked = settings.model_copy(update={"zendesk_subdomain": "acme"})
    return World(linked, *ids)


def deliver(world: World, fake_slack, now: datetime = NOW):
    return deliver_drafts(
        session_factory=partial(session_scope, world.settings.database_url),
        notifier=SlackDraftNotifier(slack_client(world.settings, fake_slack.token)),
        settings=world.settings,
        now=now,
    )


def dms(fake_slack):
    return [c for c in fake_slack.calls_to("chat.postMessage") if c.response.get("ok")]


def events(world: World) -> list[str]:
    with session_scope(world.settings.database_url) as s:
        return sorted(s.scalars(select(MeasurementEvent.kind)))


# -- delivery -------------------------------------------------------------------------------


def test_every_pending_draft_is_dmed_to_the_lead_exactly_once(world, fake_slack):
    review = world.draft()
    ready = world.draft(route="ready", confidence=0.9, customer_risk=[], policy_exception=False)
    world.draft(status=DraftStatus.REJECTED, decided_by="ULEAD", reject_reason="no")
    report = deliver(world, fake_slack)
    assert (report.drafts, report.sent) == (2, 2)
    sent = dms(fake_slack)
    assert [c.args["metadata"]["event_payload"]["draft_id"] for c in sent] == [review, ready]
    assert {c.args["metadata"]["event_type"] for c in sent} == {"debrief_qa_draft"}
    assert {c.response["channel"] for c in sent} == {"DLEAD"}
    shown = json.dumps(sent[0].args["blocks"], ensure_ascii=False)
    for expected in (
        "Becky Ortiz",
        "Empathy: *2/4*",
        "Resolution: *3/4*",
        "Suggested, not a final score",
        "Sure, it's done. Anything else?",
        "Documentation gap",
        "Refund demand",
        "Policy exception",
        "confidence 42%",
        "Needs your review",
        "<https://acme.zendesk.com/agent/tickets/7000|zendesk 7000>",
        "1 suggested point dropped",
    ):
        assert expected in shown, expected
    buttons = next(b for b in sent[0].args["blocks"] if b.get("block_id") == BlockId.QA_ACTIONS)
    assert [b["action_id"] for b in buttons["elements"]] == [
        ActionId.QA_APPROVE,
        ActionId.QA_EDIT,
        ActionId.QA_REJECT,
    ]
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, review)
        assert row is not None and (row.dm_channel, row.dm_ts) == ("DLEAD", sent[0].response["ts"])
    again = deliver(world, fake_slack)
    assert (again.drafts, again.sent) == (0, 0) and len(dms(fake_slack)) == 2


def test_without_a_lead_every_owner_and_admin_gets_it_once(world, fake_slack):
    world.draft(world.dan)
    assert deliver(world, fake_slack).sent == 2
    assert sorted(c.response["channel"] for c in dms(fake_slack)) == ["DADMIN", "DLEAD"]
    assert deliver(world, fake_slack).sent == 0 and len(dms(fake_slack)) == 2


def test_a_dm_sent_before_a_crash_is_found_not_sent_again(world, fake_slack):
    draft_id = world.draft(world.dan)
    deliver(world, fake_slack)
    stale = NOW - timedelta(hours=1)
    with session_scope(world.settings.database_url) as s:  # died after posting, before recording
        s.execute(update(QaDraft).values(dm_channel=None, dm_ts=None))
        s.execute(update(Delivery).values(sent_at=None, claimed_at=stale))
    report = deliver(world, fake_slack)
    assert (report.sent, report.found_sent) == (0, 2) and len(dms(fake_slack)) == 2
    history = fake_slack.calls_to("conversations.history")
    assert history and history[-1].args["include_all_metadata"] in (True, "true", "1", 1)
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.dm_channel in ("DLEAD", "DADMIN")


def test_a_fresh_claim_blocks_a_second_sender(world, fake_slack):
    draft_id = world.draft()
    with session_scope(world.settings.database_url) as s:  # another process is sending now
        s.add(Delivery(kind="qa_draft", subject=str(draft_id), recipient="ULEAD",
                       claim_token="theirs", claimed_at=NOW, maybe_sent=True))  # fmt: skip
    assert deliver(world, fake_slack).drafts == 0 and dms(fake_slack) == []


def test_a_huge_draft_stays_within_slacks_limits(world, fake_slack):
    long_point = {"text": "x" * 5000, "rootCause": "agent_behavior", "evidence": ["y" * 300] * 20}
    draft_id = world.draft(points=[long_point] * 80, summary="s" * 4000, scores=SCORES * 30)
    assert deliver(world, fake_slack).sent == 1  # the fake validates blocks as Slack does
    [dm] = dms(fake_slack)
    assert len(dm.args["blocks"]) <= MESSAGE_MAX_BLOCKS
    assert all(len(b.get("text", {}).get("text", "")) <= SECTION_MAX for b in dm.args["blocks"])
    assert "more points" in json.dumps(dm.args["blocks"])
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None
        modal = edit_modal(draft_view(s, row, world.settings), channel=None, ts=None)
    assert len(modal["blocks"]) <= MODAL_MAX_BLOCKS


# -- decisions ------------------------------------------------------------------------------


def test_approving_puts_agent_points_on_the_record_and_process_issues_aside(world):
    draft_id = world.draft()
    lead = world.viewer("ULEAD")
    with session_scope(world.settings.database_url) as s:
        outcome = approve_draft(session=s, actor=lead, draft_id=draft_id, settings=world.settings)
    assert len(outcome.note_ids) == 1 and len(outcome.process_issue_ids) == 2
    with session_scope(world.settings.database_url) as s:
        record = load_coach_record(session=s, viewer=lead, agent_id=world.becky)
        [note] = record.notes
        assert note.author == "ULEAD"
        assert POINTS[0]["text"] in note.body
        assert '"Sure, it\'s done. Anything else?"' in note.body
        assert "https://acme.zendesk.com/agent/tickets/7000" in note.body
        bodies = " ".join(n.body for n in s.scalars(select(Note)))
        assert POINTS[1]["text"] not in bodies and POINTS[2]["text"] not in bodies
        issues = s.scalars(select(ProcessIssue).order_by(ProcessIssue.id)).all()
        assert [(i.kind, i.text) for i in issues] == [
            ("documentation", POINTS[1]["text"]),
            ("policy", POINTS[2]["text"]),
        ]
        assert issues[0].topic == "refund timing" and issues[0].evidence == POINTS[1]["evidence"]
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.status == DraftStatus.APPROVED
        assert row.decided_by == "ULEAD" and row.decided_at is not None
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "qa_draft.approve")).one()
        assert audit.entity_id == draft_id
        approved = s.scalars(
            select(MeasurementEvent).where(MeasurementEvent.kind == "draft_approved")
        ).one()
        assert approved.payload["notes"] == 1 and approved.agent_id == world.becky
    assert events(world) == ["documentation_gap", "draft_approved", "policy_escalation"]
    with session_scope(world.settings.database_url) as s:
        confirmed = s.scalars(
            select(MeasurementEvent).where(MeasurementEvent.kind != "draft_approved")
        ).all()
        assert {e.payload["stage"] for e in confirmed} == {"approved"}
    with session_scope(world.settings.database_url) as s:
        listed = process_issues(session=s, viewer=lead)
        assert sorted(i.kind for i in listed) == ["documentation", "policy"]
        with pytest.raises(OutOfScope):
            process_issues(session=s, viewer=world.viewer("UBECKY"))


def test_editing_keeps_the_leads_version_and_counts_as_an_override(world):
    draft_id = world.draft()
    lead = world.viewer("ULEAD")
    edits = [
        PointEdit(0, "Say sorry for the double charge first.", "agent_behavior"),
        PointEdit(1, POINTS[1]["text"], "documentation", keep=False),
        PointEdit(2, POINTS[2]["text"], "product"),
    ]
    with session_scope(world.settings.database_url) as s:
        outcome = edit_draft(
            session=s, actor=lead, draft_id=draft_id, points=edits, settings=world.settings
        )
    assert outcome.status == DraftStatus.EDITED and outcome.dropped == 1
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.status == DraftStatus.EDITED
        assert row.points == POINTS  # the suggestion stays, next to the lead's version
        assert row.edited_points is not None
        assert [(p["text"], p["rootCause"]) for p in row.edited_points] == [
            ("Say sorry for the double charge first.", "agent_behavior"),
            (POINTS[2]["text"], "product"),
        ]
        assert row.edited_points[0]["evidence"] == POINTS[0]["evidence"]
        [note] = load_coach_record(session=s, viewer=lead, agent_id=world.becky).notes
        assert "Say sorry for the double charge first." in note.body
        assert [i.kind for i in s.scalars(select(ProcessIssue))] == ["product"]
        edited = s.scalars(
            select(MeasurementEvent).where(MeasurementEvent.kind == "draft_edited")
        ).one()
        assert edited.payload["dropped"] == 1
        assert edited.payload["textChanged"] == 1 and edited.payload["rootCauseChanged"] == 1
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "qa_draft.edit")).one()
    assert events(world) == ["draft_edited"]


def test_an_unchanged_edit_is_an_approval(world):
    draft_id = world.draft()
    edits = [PointEdit(i, p["text"], p["rootCause"]) for i, p in enumerate(POINTS)]
    with session_scope(world.settings.database_url) as s:
        outcome = edit_draft(session=s, actor=world.viewer("ULEAD"), draft_id=draft_id,
                             points=edits, settings=world.settings)  # fmt: skip
    assert outcome.status == DraftStatus.APPROVED
    assert "draft_approved" in events(world) and "draft_edited" not in events(world)


def test_an_edit_needs_text_and_a_root_cause(world):
    draft_id = world.draft()
    lead = world.viewer("ULEAD")
    for edits, field in (
        ([PointEdit(0, "   ", "agent_behavior")], "text.0"),
        ([PointEdit(1, "Fine", "weather")], "cause.1"),
    ):
        with pytest.raises(InvalidInput) as err, session_scope(world.settings.database_url) as s:
            edit_draft(session=s, actor=lead, draft_id=draft_id, points=edits,
                       settings=world.settings)  # fmt: skip
        assert err.value.field == field
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.status == DraftStatus.PENDING


def test_rejecting_needs_a_reason_and_keeps_it(world):
    draft_id = world.draft()
    lead = world.viewer("ULEAD")
    with pytest.raises(InvalidInput), session_scope(world.settings.database_url) as s:
        reject_draft(session=s, actor=lead, draft_id=draft_id, reason="  ")
    with session_scope(world.settings.database_url) as s:
        reject_draft(session=s, actor=lead, draft_id=draft_id, reason=" The tone was fine. ")
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.status == DraftStatus.REJECTED
        assert row.reject_reason == "The tone was fine." and row.decided_by == "ULEAD"
        assert s.scalars(select(Note)).all() == [] and s.scalars(select(ProcessIssue)).all() == []
        rejected = s.scalars(select(MeasurementEvent)).one()
        assert rejected.kind == "draft_rejected"
        assert rejected.payload["reason"] == "The tone was fine."


def test_deciding_twice_is_refused(world):
    draft_id = world.draft()
    lead, admin = world.viewer("ULEAD"), world.viewer("UADMIN")
    with session_scope(world.settings.database_url) as s:
        approve_draft(session=s, actor=lead, draft_id=draft_id, settings=world.settings)
    attempts = [
        partial(approve_draft, actor=admin, draft_id=draft_id, settings=world.settings),
        partial(reject_draft, actor=admin, draft_id=draft_id, reason="no"),
        partial(
            edit_draft,
            actor=admin,
            draft_id=draft_id,
            settings=world.settings,
            points=[PointEdit(0, "other", "agent_behavior")],
        ),
    ]
    for attempt in attempts:
        with (
            pytest.raises(AlreadyDecided, match="already approved by ULEAD"),
            session_scope(world.settings.database_url) as s,
        ):
            attempt(session=s)
    with session_scope(world.settings.database_url) as s:
        assert len(s.scalars(select(Note)).all()) == 1
    assert events(world).count("draft_approved") == 1


def test_a_member_cannot_decide(world):
    draft_id = world.draft()
    member = world.viewer("UBECKY")
    attempts = [
        partial(approve_draft, draft_id=draft_id, settings=world.settings),
        partial(reject_draft, draft_id=draft_id, reason="no"),
        partial(edit_draft, draft_id=draft_id, settings=world.settings, points=[]),
    ]
    for attempt in attempts:
        with pytest.raises(OutOfScope), session_scope(world.settings.database_url) as s:
            attempt(session=s, actor=member)
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.status == DraftStatus.PENDING
    assert events(world) == []


def test_the_settled_message_says_who_decided_and_drops_the_buttons(world):
    draft_id = world.draft()
    with session_scope(world.settings.database_url) as s:
        approve_draft(session=s, actor=world.viewer("ULEAD"), draft_id=draft_id,
                      settings=world.settings)  # fmt: skip
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None
        shown = json.dumps(draft_message(draft_view(s, row, world.settings))["blocks"])
    assert (
        "Approved by <@ULEAD>: 1 coaching note on Becky Ortiz's record, 2 process issues" in shown
    )
    assert ActionId.QA_APPROVE not in shown


# -- the Slack round trip -------------------------------------------------------------------


def click(slack, fake_slack, user: str, action_id: str, dm) -> Any:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": fake_slack.issue_trigger(),
        "container": {
            "type": "message",
            "channel_id": dm.response["channel"],
            "message_ts": dm.response["ts"],
        },
        "channel": {"id": dm.response["channel"]},
        "message": {"blocks": dm.args["blocks"], "ts": dm.response["ts"]},
        "response_url": fake_slack.response_url(),
        "actions": [
            {
                "action_id": action_id,
                "type": "button",
                "block_id": BlockId.QA_ACTIONS,
                "value": str(dm.args["metadata"]["event_payload"]["draft_id"]),
            }
        ],
    }
    return slack.payload(payload)


def submit(slack, fake_slack, user: str, modal: dict[str, Any], values: dict[str, Any]) -> Any:
    return slack.payload(
        {
            "type": "view_submission",
            "user": {"id": user},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "trigger_id": fake_slack.issue_trigger(),
            "view": {**modal, "state": {"values": values}},
        }
    )


def opened_modal(fake_slack) -> dict[str, Any]:
    opened = fake_slack.calls_to("views.open")[-1]
    assert opened.response.get("ok"), opened.response
    return fake_slack.views[opened.response["view"]["id"]]


def updated_text(fake_slack) -> str:
    [updated] = fake_slack.calls_to("chat.update")
    assert updated.response.get("ok"), updated.response
    return json.dumps(updated.args["blocks"])


def test_approve_in_slack_updates_the_dm(world, fake_slack, slack):
    world.draft()
    deliver(world, fake_slack)
    [dm] = dms(fake_slack)
    click(slack, fake_slack, "ULEAD", ActionId.QA_APPROVE, dm)
    shown = updated_text(fake_slack)
    assert "Approved by <@ULEAD>" in shown and ActionId.QA_APPROVE not in shown
    with session_scope(world.settings.database_url) as s:
        assert len(s.scalars(select(Note)).all()) == 1
    click(slack, fake_slack, "UADMIN", ActionId.QA_REJECT, dm)  # a stale copy of the DM
    assert fake_slack.calls_to("views.open") == []
    [told] = fake_slack.calls_to("response_url")
    assert "already approved by ULEAD" in told.args["text"]


def test_a_member_clicking_approve_is_told_and_nothing_changes(world, fake_slack, slack):
    draft_id = world.draft()
    deliver(world, fake_slack)
    [dm] = dms(fake_slack)
    click(slack, fake_slack, "UBECKY", ActionId.QA_APPROVE, dm)
    [told] = fake_slack.calls_to("response_url")
    assert "Only owners and admins" in told.args["text"]
    assert fake_slack.calls_to("chat.update") == []
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.status == DraftStatus.PENDING


def test_edit_in_slack_opens_a_prefilled_modal_and_applies_it(world, fake_slack, slack):
    draft_id = world.draft()
    deliver(world, fake_slack)
    [dm] = dms(fake_slack)
    click(slack, fake_slack, "ULEAD", ActionId.QA_EDIT, dm)
    modal = opened_modal(fake_slack)
    assert modal["callback_id"] == CallbackId.QA_EDIT
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert inputs[f"{BlockId.QA_POINT_TEXT}.0"]["initial_value"] == POINTS[0]["text"]
    assert inputs[f"{BlockId.QA_POINT_CAUSE}.2"]["initial_option"]["value"] == "policy"
    assert inputs[f"{BlockId.QA_POINT_KEEP}.1"]["initial_options"][0]["value"] == KEEP_VALUE

    def state(texts: list[str], causes: list[str], keep: list[bool]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for i, (text, cause, kept) in enumerate(zip(texts, causes, keep, strict=True)):
            values[f"{BlockId.QA_POINT_TEXT}.{i}"] = {
                ActionId.QA_POINT_TEXT: {"type": "plain_text_input", "value": text}
            }
            values[f"{BlockId.QA_POINT_CAUSE}.{i}"] = {
                ActionId.QA_POINT_CAUSE: {
                    "type": "static_select",
                    "selected_option": {"value": cause},
                }
            }
            values[f"{BlockId.QA_POINT_KEEP}.{i}"] = {
                ActionId.QA_POINT_KEEP: {
                    "type": "checkboxes",
                    "selected_options": [{"value": KEEP_VALUE}] if kept else [],
                }
            }
        return values

    causes = ["agent_behavior", "documentation", "staffing"]
    blank = submit(slack, fake_slack, "ULEAD", modal,
                   state(["  ", POINTS[1]["text"], POINTS[2]["text"]], causes, [True] * 3))  # fmt: skip
    assert blank.json()["response_action"] == "errors"
    assert f"{BlockId.QA_POINT_TEXT}.0" in blank.json()["errors"]
    answer = submit(slack, fake_slack, "ULEAD", modal,
                    state(["Own the mistake first.", "", POINTS[2]["text"]], causes,
                          [True, False, True]))  # fmt: skip
    assert answer.status_code == 200 and not answer.content
    shown = updated_text(fake_slack)
    assert "Edited and approved by <@ULEAD>" in shown and "Own the mistake first." in shown
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.status == DraftStatus.EDITED
        assert [p["rootCause"] for p in row.edited_points or []] == ["agent_behavior", "staffing"]
        assert [i.kind for i in s.scalars(select(ProcessIssue))] == ["staffing"]


def test_reject_in_slack_asks_why_and_updates_the_dm(world, fake_slack, slack):
    draft_id = world.draft()
    deliver(world, fake_slack)
    [dm] = dms(fake_slack)
    click(slack, fake_slack, "ULEAD", ActionId.QA_REJECT, dm)
    modal = opened_modal(fake_slack)
    assert modal["callback_id"] == CallbackId.QA_REJECT

    def reason(text: str) -> dict[str, Any]:
        return {
            BlockId.QA_REASON: {ActionId.QA_REASON: {"type": "plain_text_input", "value": text}}
        }

    blank = submit(slack, fake_slack, "ULEAD", modal, reason("   "))
    assert blank.json() == {
        "response_action": "errors",
        "errors": {BlockId.QA_REASON: "Say why the draft is rejected."},
    }
    assert fake_slack.calls_to("chat.update") == []
    answer = submit(slack, fake_slack, "ULEAD", modal, reason("The customer was abusive."))
    assert answer.status_code == 200 and not answer.content
    shown = updated_text(fake_slack)
    assert "Rejected by <@ULEAD>: The customer was abusive." in shown
    assert ActionId.QA_REJECT not in shown
    with session_scope(world.settings.database_url) as s:
        row = s.get(QaDraft, draft_id)
        assert row is not None and row.status == DraftStatus.REJECTED
    assert events(world) == ["draft_rejected"]
