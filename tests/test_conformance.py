"""Conformance: every Slack surface, driven with extreme data through signed requests, sends only
what real Slack accepts.

The strict fake refuses, and the `fake_slack` fixture fails the test on, anything slack_sdk's
Block Kit models or Slack's documented limits reject, and any Web API call that does not match
Slack's method reference. Each test here drives one surface with the largest, strangest data a
workspace can hold: 200-character names in CJK and emoji, 20 samples and 200 notes of 3,000
characters, 0 to 300 matching agents, a lead with 500 agents, a hostile name that tries to
notify the whole channel. At the end the suite prints, per surface, how many payloads were
checked and which limits they came closest to (run with `-s` to see it with the rest).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from click.testing import CliRunner

from blocks.ids import SHARED_NOTE_EVENT, ActionId, BlockId, CallbackId
from bot.app.slack import slack_client
from bot.cli import main
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.flags.dms import deliver_flag
from bot.followups.reminders import send_due
from bot.qa.dms import deliver_drafts
from handlers.notifier import (
    SlackDraftNotifier,
    SlackFlagNotifier,
    SlackReminderNotifier,
    slack_refused,
)
from models import Agent, Conversation, Note, ProcessIssue, QaDraft, Reminder, Rubric, Sample
from models.base import utcnow
from models.reminder import ReminderStatus
from models.sample import SampleSource
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.slack_conformance import HEADROOM
from tests.slack_driver import SlackDriver

# 200 characters of CJK with emoji, some of them joined sequences (👩🏽‍💻 is five code points)
LONG = ("王小明・サポート👩🏽‍💻🌏" * 20)[:200]
HOSTILE = "<!channel> Eve & <https://evil.example|Click here> <@U0LEAD> *bold*"
NOTE_TEXT = (
    "Let's role-play the refund call & the <escalation> path 🎧. 王小明は丁寧でした。" * 60
)[:3000]
LEAD, MEMBER = "ULEAD", "UMEMBER"
NOW = utcnow()


@pytest.fixture(scope="module", autouse=True)
def headroom_report(db_url: str) -> Iterator[None]:
    """Count what this suite checks on one database; conftest prints it at the end of the run."""
    HEADROOM.reset()
    yield
    HEADROOM.keep(f"{db_url.split(':')[0].split('+')[0]}: {HEADROOM.total()} payloads")


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    """The shared settings, plus an app id (the calendar link back) and a Zendesk account."""
    extra = {"slack_app_id": "A00APP001", "zendesk_subdomain": "acme", "slack_max_retries": 0}
    return settings.model_copy(update=extra)


# ----------------------------------------------------------------------------------- data
def people(session, fake_slack: FakeSlack) -> None:
    f.member(session, LEAD, "owner")
    f.member(session, "UADMIN", "admin")
    for user in (LEAD, "UADMIN", MEMBER):
        fake_slack.add_user(user, tz="Asia/Tokyo")


def largest_record(session, name: str = LONG) -> Agent:
    """The agent with the most a record holds: 20 samples with the longest ids, links and
    summaries Debrief keeps, 200 notes of 3,000 characters with follow-ups, shares and labels."""
    agent = f.agent(session, name, email=f"{'x' * 60}@example.com", slack_user="UAGENT", lead=LEAD)
    f.member(session, MEMBER, "member", agent=name)
    samples = []
    for i in range(20):
        external_id = f"{i:02d}" + "9" * 198
        samples.append(
            Sample(
                agent_id=agent.id,
                helpdesk="zendesk" if i % 2 else "other",
                external_id=external_id,
                url=None
                if i % 5 == 0
                else f"https://acme.zendesk.com/agent/tickets/{'1' * 1900}{i}",
                csat=1.0 + i % 5,
                closed_at=NOW - timedelta(days=i + 1),
                summary=("The customer <waited> & waited; 王小明 apologised 🙏 twice. " * 30)[
                    :1500
                ],
                source=SampleSource.MANUAL if i % 3 == 0 else SampleSource.AUTO,
            )
        )
    session.add_all(samples)
    session.flush()
    for i in range(200):
        created = NOW - timedelta(hours=i + 1)
        session.add(
            Note(
                agent_id=agent.id,
                author=LEAD,
                body=NOTE_TEXT if i % 3 else ("<&>" * 1000),
                shared_with_agent=i % 2 == 0,
                sample_id=samples[i % 20].id,
                follow_up_at=NOW + timedelta(days=1 + i) if i % 4 else None,
                created_at=created,
                updated_at=created + timedelta(minutes=5) if i % 5 == 0 else created,
            )
        )
    session.flush()
    return agent


def view_of(fake_slack: FakeSlack, method: str, index: int = -1) -> dict[str, Any]:
    call = fake_slack.calls_to(method)[index]
    assert call.response.get("ok"), call.response
    return fake_slack.views[call.response["view"]["id"]]


def replies(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    return [c.args for c in fake_slack.calls_to("response_url") if c.response.get("ok")]


def posted(fake_slack: FakeSlack) -> list[Any]:
    return [c for c in fake_slack.calls_to("chat.postMessage") if c.response.get("ok")]


def split_shared_note_dms(calls: list[Any]) -> tuple[list[Any], list[Any]]:
    """The shared-note DMs to agents, and every other message."""
    shared = [
        c for c in calls if (c.args.get("metadata") or {}).get("event_type") == SHARED_NOTE_EVENT
    ]
    return shared, [c for c in calls if c not in shared]


def in_message(
    slack: SlackDriver, fake_slack: FakeSlack, user: str, dm: Any, action: dict[str, Any]
):
    """Click an element of a DM Debrief posted, as Slack sends it."""
    return slack.payload(
        {
            "type": "block_actions",
            "user": {"id": user, "team_id": "T1"},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "trigger_id": fake_slack.issue_trigger(),
            "response_url": fake_slack.response_url(),
            "container": {"type": "message", "channel_id": dm.response["channel"],
                          "message_ts": dm.response["ts"]},
            "channel": {"id": dm.response["channel"]},
            "message": {"text": dm.args["text"], "blocks": dm.args["blocks"], "ts": dm.response["ts"]},
            "actions": [{"block_id": "b", "action_ts": "1.2", **action}],
        }
    )  # fmt: skip


def submit_values(slack: SlackDriver, fake_slack: FakeSlack, user: str, view: dict[str, Any],
                  values: Any) -> Any:  # fmt: skip
    """Submit a modal with these state values; the answer is checked like all the rest."""
    return slack.payload(
        {
            "type": "view_submission",
            "user": {"id": user, "team_id": "T1"},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "trigger_id": fake_slack.issue_trigger(view["id"]),
            "view": {**view, "state": {"values": values}},
        }
    )


def open_home(slack: SlackDriver, user: str) -> Any:
    event = {
        "type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"Ev{user}",
        "event_time": 1_700_000_000,
        "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"},
    }  # fmt: skip
    return slack.post(json.dumps(event), content_type="application/json")


# ------------------------------------------------------------------------ the Coach modal
def test_the_coach_modal_and_every_form_in_it_with_the_largest_record(slack, fake_slack, session):
    people(session, fake_slack)
    agent = largest_record(session)
    sample_ids = list(session.scalars(Sample.__table__.select().with_only_columns(Sample.id)))
    session.commit()

    slack.command(LEAD, LONG)  # the 200-character name, typed whole
    root = view_of(fake_slack, "views.open")
    assert root["title"]["text"].startswith("Coach ") and len(root["blocks"]) <= 100
    bodies = [b for b in root["blocks"] if b.get("block_id", "").startswith("note.")]
    assert len(bodies) == 10 and all(b["text"]["text"] in (NOTE_TEXT, "<&>" * 1000) or
                                     "&lt;" in b["text"]["text"] for b in bodies)  # fmt: skip

    for page in range(1, 20):  # every page of the history, then one back
        slack.click(LEAD, ActionId.NOTES_OLDER, str(page), view=fake_slack.views[root["id"]])
    slack.click(LEAD, ActionId.NOTES_NEWER, "18", view=fake_slack.views[root["id"]])
    assert len(fake_slack.calls_to("views.update")) == 20

    current = fake_slack.views[root["id"]]
    note_id = next(
        b["block_id"] for b in current["blocks"] if b.get("block_id", "").startswith("note.")
    )
    slack.click(LEAD, ActionId.NOTE_EDIT, note_id.split(".")[1], view=current)
    form = view_of(fake_slack, "views.push")
    day = (NOW + timedelta(days=30)).date().isoformat()
    slack.submit(LEAD, form, body="   ")  # refused inline, under the note field
    slack.submit(LEAD, form, body=NOTE_TEXT, follow_up=day, share=True, sample=sample_ids[-1])

    current = fake_slack.views[root["id"]]
    slack.click(LEAD, ActionId.NOTE_ARCHIVE, note_id.split(".")[1], view=current)
    slack.click(LEAD, ActionId.NOTE_EDIT, note_id.split(".")[1], view=current)  # a stale button
    assert view_of(fake_slack, "views.push")["callback_id"] == CallbackId.NOTICE

    slack.click(LEAD, ActionId.PIN_OPEN, str(agent.id), view=fake_slack.views[root["id"]])
    pin_form = view_of(fake_slack, "views.push")
    pin: dict[str, Any] = {
        BlockId.PIN_HELPDESK: {ActionId.PIN_HELPDESK: {"type": "static_select",
                                                       "selected_option": {"value": "zendesk"}}},
        BlockId.PIN_ID: {ActionId.PIN_ID: {"type": "plain_text_input", "value": "9" * 200}},
        BlockId.PIN_CSAT: {ActionId.PIN_CSAT: {"type": "number_input", "value": None}},
    }  # fmt: skip
    pin[BlockId.PIN_ID][ActionId.PIN_ID]["value"] = " "
    blank = submit_values(slack, fake_slack, LEAD, pin_form, pin)
    assert blank.json()["response_action"] == "errors"
    # neither imported nor reachable through a connector: a DM says so
    pin[BlockId.PIN_ID][ActionId.PIN_ID]["value"] = "<!channel>" + "9" * 190
    submit_values(slack, fake_slack, LEAD, pin_form, pin)
    shared, [told] = split_shared_note_dms(posted(fake_slack))
    assert told.args["text"].startswith("Debrief couldn't pin zendesk #&lt;!channel&gt;")
    # the edit shared a note: its agent is DMed at once, with every shared note of the last
    # week not DMed yet (each within Slack's limits, as every message here)
    assert shared and {c.args["channel"] for c in shared} == {"DMEMBER"}

    current = fake_slack.views[root["id"]]
    slack.submit(LEAD, current, body=NOTE_TEXT, follow_up=day, share=True, sample=sample_ids[0])
    slack.submit(LEAD, fake_slack.views[root["id"]], body=" \n ")  # empty: refused inline
    slack.click(LEAD, ActionId.SAMPLE_LINK, "1", view=fake_slack.views[root["id"]])
    assert session.query(Note).count() == 201  # one new note; the edit and archive kept theirs


def test_a_member_opens_their_own_largest_record_and_a_home_with_200_shared_notes(
    slack, fake_slack, session
):
    people(session, fake_slack)
    largest_record(session)
    session.commit()
    slack.command(MEMBER, "")  # their own record straight away
    own = view_of(fake_slack, "views.open")
    assert "submit" not in own and all(b["type"] != "input" for b in own["blocks"])
    slack.click(MEMBER, ActionId.NOTES_OLDER, "9", view=own)
    open_home(slack, MEMBER)
    [home] = [c for c in fake_slack.calls_to("views.publish") if c.response.get("ok")]
    assert home.args["user_id"] == MEMBER


# --------------------------------------------------------------------------- /coach NAME
@pytest.mark.parametrize(
    ("typed", "matches"),
    [("Nobody at all", 0), (LONG, 1), ("Twin", 2), ("Fifty", 50), ("Sam", 300)],
    ids=["0 matches", "1 match", "2 matches", "50 matches", "300 matches"],
)
def test_coach_answers_any_number_of_matches(slack, fake_slack, session, typed, matches):
    people(session, fake_slack)
    largest_record(session)
    tail = LONG[:150]
    session.add_all([Agent(name=f"Twin {tail} {i}") for i in range(2)])
    session.add_all([Agent(name=f"Fifty{i:02d} {tail}") for i in range(50)])
    session.add_all([Agent(name=f"Sam {tail} {i:03d}") for i in range(300)])
    session.commit()
    slack.command(LEAD, typed)
    if matches == 1:
        view_of(fake_slack, "views.open")
        return
    [reply] = replies(fake_slack)
    shown = [e for b in reply["blocks"] for e in b.get("elements", []) if e.get("type") == "button"]
    assert len(shown) == min(matches, 10)
    if shown:  # the last offered agent opens from the reply
        slack.click(LEAD, shown[-1]["action_id"], shown[-1]["value"])
        view_of(fake_slack, "views.open")


@pytest.mark.parametrize("agents", [1, 100, 101, 500])
def test_the_agent_picker_and_its_search(slack, fake_slack, session, agents):
    people(session, fake_slack)
    session.add_all([Agent(name=f"{LONG[:190]} {i:04d}") for i in range(agents)])
    session.commit()
    slack.command(LEAD, "")
    [reply] = replies(fake_slack)
    picker = reply["blocks"][0]["accessory"]
    assert picker["type"] == ("static_select" if agents <= 100 else "external_select")
    answer = slack.suggest(LEAD, picker["action_id"], LONG[:2])
    options = answer.json()["options"]
    assert len(options) == min(agents, 100)
    chosen = (
        options[-1]["value"]
        if picker["type"] == "external_select"
        else picker["options"][0]["value"]
    )
    slack.click(LEAD, ActionId.PICK_AGENT, selected=chosen)
    view_of(fake_slack, "views.open")


# ------------------------------------------------------------------------------ App Home
def test_the_app_home_of_a_lead_with_500_agents_and_everything_at_once(slack, fake_slack, session):
    people(session, fake_slack)
    agent = largest_record(session)
    others = [Agent(name=f"{LONG[:190]} {i:04d}") for i in range(499)]
    session.add_all(others)
    session.flush()
    for i, other in enumerate(others[:100]):
        f.flag(session, other.id, current=3.0 - i / 100)
        session.add_all(
            Conversation(helpdesk="zendesk", external_id=f"r{other.id}-{k}", agent_id=other.id,
                         closed_at=NOW - timedelta(days=k * 3), csat=float(1 + k % 5))
            for k in range(20)
        )  # fmt: skip
        session.add(Note(agent_id=other.id, author=LEAD, body=NOTE_TEXT,
                         follow_up_at=NOW + timedelta(days=i % 6 - 2), created_at=NOW - timedelta(days=14),
                         updated_at=NOW - timedelta(days=14)))  # fmt: skip
    rubric = Rubric(version=1, name="Support basics", criteria=[{"name": "Empathy"}],
                    source_sha256="0" * 64, approved_by=LEAD)  # fmt: skip
    session.add(rubric)
    session.flush()
    for i in range(60):
        draft = QaDraft(helpdesk="zendesk", external_id=f"{i:03d}" + "7" * 197, agent_id=agent.id,
                        rubric_id=rubric.id, engine="offline", summary="x", scores=[], points=[],
                        customer_risk=[], confidence=0.5, route="ready")  # fmt: skip
        session.add(draft)
        session.flush()
        session.add(ProcessIssue(draft_id=draft.id, kind="documentation", text="<&>" * 1000,
                                 evidence=[], topic=f"{LONG} {i}"[:200]))  # fmt: skip
    session.commit()

    open_home(slack, LEAD)
    [published] = [c for c in fake_slack.calls_to("views.publish") if c.response.get("ok")]
    home = fake_slack.views[published.response["view"]["id"]]
    assert len(home["blocks"]) <= 100
    searches = [
        b["accessory"]
        for b in home["blocks"]
        if (b.get("accessory") or {}).get("type") == "external_select"
    ]
    assert len(searches) == 1
    answer = slack.suggest(LEAD, searches[0]["action_id"], LONG[:3], view=home)
    assert len(answer.json()["options"]) == 100  # 500 agents match; Slack shows at most 100
    slack.click(LEAD, ActionId.PICK_AGENT, selected=answer.json()["options"][0]["value"], view=home)
    view_of(fake_slack, "views.open")
    coach = next(b["accessory"] for b in home["blocks"]
                 if (b.get("accessory") or {}).get("action_id") == ActionId.COACH_OPEN)  # fmt: skip
    slack.click(LEAD, coach["action_id"], coach["value"], view=home)
    assert len(fake_slack.calls_to("views.open")) == 2


def test_every_external_select_debrief_renders_has_an_options_listener_within_slacks_limits(
    slack, fake_slack, session
):
    people(session, fake_slack)
    session.add_all([Agent(name=f"Agent {i:03d}") for i in range(150)])
    session.commit()
    slack.command(LEAD, "")
    open_home(slack, LEAD)
    home = view_of(fake_slack, "views.publish")
    rendered = [json.dumps(r["blocks"]) for r in replies(fake_slack)] + [json.dumps(home["blocks"])]
    selects = {
        e["action_id"]
        for text in rendered
        for b in json.loads(text)
        for e in [b.get("accessory"), *b.get("elements", [])]
        if isinstance(e, dict) and e.get("type") == "external_select"
    }
    assert selects == {ActionId.PICK_AGENT}
    for action_id in selects:
        for typed in ("a", "Agent 14", "zzz", " ", "<&>"):
            answer = slack.suggest(LEAD, action_id, typed)
            assert answer.status_code == 200 and isinstance(answer.json()["options"], list)
        assert [o["text"]["text"] for o in slack.suggest(LEAD, action_id, "agent 14").json()["options"]] == [
            "Agent 140", "Agent 141", "Agent 142", "Agent 143", "Agent 144", "Agent 145",
            "Agent 146", "Agent 147", "Agent 148", "Agent 149",
        ]  # fmt: skip
        assert slack.suggest(MEMBER, action_id, "a").json() == {"options": []}  # not a member


# ------------------------------------------------------------------------------- the DMs
def test_the_flag_dm_its_chart_and_the_dismiss_form(slack, fake_slack, session, settings, tmp_path):
    people(session, fake_slack)
    agent = largest_record(session)
    flag = f.flag(session, agent.id)
    session.query(type(flag)).filter_by(id=flag.id).update(
        {"windows": [{"start": (NOW - timedelta(weeks=6 - i)).date().isoformat(),
                      "mean": 4.5 - i / 3, "count": 12} for i in range(6)]}
    )  # fmt: skip
    session.commit()
    sent = deliver_flag(
        session_factory=partial(session_scope, settings.database_url),
        notifier=SlackFlagNotifier(slack_client(settings, fake_slack.token)),
        flag_id=flag.id,
        window_days=7,
        chart_dir=str(tmp_path),
    )
    assert sent == 1
    [dm] = posted(fake_slack)
    assert any(b["type"] == "image" for b in dm.args["blocks"])  # the chart, with alt_text
    in_message(slack, fake_slack, LEAD, dm, {"action_id": ActionId.FLAG_DISMISS, "type": "button",
                                             "value": str(flag.id)})  # fmt: skip
    modal = view_of(fake_slack, "views.open")
    values = {
        BlockId.DISMISS_REASON: {ActionId.DISMISS_REASON: {"type": "radio_buttons",
                                                           "selected_option": {"value": "other"}}},
        BlockId.DISMISS_NOTE: {ActionId.DISMISS_NOTE: {"type": "plain_text_input",
                                                       "value": ("<!channel> " + LONG * 3)[:450]}},
    }  # fmt: skip
    answer = submit_values(slack, fake_slack, LEAD, modal, values)
    assert answer.status_code == 200
    [updated] = [c for c in fake_slack.calls_to("chat.update") if c.response.get("ok")]
    assert "Dismissed by" in json.dumps(updated.args["blocks"])
    in_message(slack, fake_slack, LEAD, dm, {"action_id": ActionId.COACH_OPEN, "type": "button",
                                             "value": str(agent.id)})  # fmt: skip
    assert len([c for c in fake_slack.calls_to("views.open") if c.response.get("ok")]) == 2


def test_the_reminder_dm_done_and_snooze(slack, fake_slack, session, settings):
    people(session, fake_slack)
    agent = largest_record(session)
    note = f.note(session, f.viewer(session, LEAD), agent.id, body=NOTE_TEXT,
                  follow_up_at=utcnow() + timedelta(hours=1))  # fmt: skip
    session.query(Reminder).filter(Reminder.note_id == note.id).update({"due_at": NOW})
    session.commit()
    report = send_due(
        session_factory=partial(session_scope, settings.database_url),
        notifier=SlackReminderNotifier(
            slack_client(settings, fake_slack.token), app_id="A00APP001"
        ),
        per_channel_interval=0,
        is_definite_failure=slack_refused,
    )
    assert report.sent == 1
    [dm] = posted(fake_slack)
    reminder_id = dm.args["metadata"]["event_payload"]["reminder_id"]
    in_message(slack, fake_slack, LEAD, dm, {"action_id": ActionId.REMINDER_SNOOZE,
                                             "type": "static_select",
                                             "selected_option": {"value": f"{reminder_id}:1w"}})  # fmt: skip
    in_message(slack, fake_slack, LEAD, dm, {"action_id": ActionId.REMINDER_DONE, "type": "button",
                                             "value": str(reminder_id)})  # fmt: skip
    in_message(slack, fake_slack, LEAD, dm, {"action_id": ActionId.CALENDAR_LINK, "type": "button"})
    assert len(replies(fake_slack)) == 2
    assert session.query(Reminder).filter(Reminder.status == ReminderStatus.PENDING).count() == 0


def _huge_draft(session, agent_id: int, rubric_id: int, n: int) -> QaDraft:
    evidence = [("“I want my money back 王小明” <&> " * 20)[:300]] * 5
    points = [
        {"text": ("Acknowledge the double charge <&> before the fix. " * 20)[:1000],
         "rootCause": cause, "evidence": evidence, "topic": f"{LONG}"[:200]}
        for cause in ["agent_behavior", "documentation", "policy", "product", "staffing"] * 6
    ]  # fmt: skip
    draft = QaDraft(
        helpdesk="zendesk", external_id=f"{n}" + "8" * 190, agent_id=agent_id, rubric_id=rubric_id,
        engine="offline", summary=("The customer was charged twice <&> 王 " * 40)[:1200],
        scores=[{"criterion": f"{LONG} {i}", "score": 2, "max": 4} for i in range(12)],
        points=points, dropped_points=3, policy_exception=True,
        customer_risk=["legal_threat", "chargeback", "safety", "churn_threat", "refund_demand"],
        confidence=0.12, route="lead_review", note="Offline heuristic draft: low confidence.",
    )  # fmt: skip
    session.add(draft)
    session.flush()
    return draft


def test_qa_draft_dms_and_approve_edit_reject(slack, fake_slack, session, settings):
    people(session, fake_slack)
    agent = largest_record(session)
    rubric = Rubric(version=1, name=LONG, criteria=[{"name": LONG}], source_sha256="0" * 64,
                    approved_by=LEAD)  # fmt: skip
    session.add(rubric)
    session.flush()
    ids = [_huge_draft(session, agent.id, rubric.id, n).id for n in range(3)]
    session.commit()
    report = deliver_drafts(
        session_factory=partial(session_scope, settings.database_url),
        notifier=SlackDraftNotifier(slack_client(settings, fake_slack.token)),
        settings=settings,
        now=NOW,
    )
    dms = posted(fake_slack)
    assert len(dms) == 3 == report.sent  # each draft once, to the agent's lead
    by_draft = {dm.args["metadata"]["event_payload"]["draft_id"]: dm for dm in dms}
    approve, edit, reject = (by_draft[i] for i in ids)
    in_message(slack, fake_slack, LEAD, approve, {"action_id": ActionId.QA_APPROVE,
                                                  "type": "button", "value": str(ids[0])})  # fmt: skip
    in_message(slack, fake_slack, LEAD, edit, {"action_id": ActionId.QA_EDIT, "type": "button",
                                               "value": str(ids[1])})  # fmt: skip
    form = view_of(fake_slack, "views.open")
    values: dict[str, Any] = {}
    for block in form["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["type"] == "plain_text_input":
            value = {"type": "plain_text_input", "value": element.get("initial_value") or "x"}
        elif element["type"] == "static_select":
            value = {"type": "static_select", "selected_option": element.get("initial_option")
                     or element["options"][0]}  # fmt: skip
        else:
            value = {"type": "checkboxes", "selected_options": element.get("initial_options", [])}
        values[block["block_id"]] = {element["action_id"]: value}
    answer = submit_values(slack, fake_slack, LEAD, form, values)
    assert answer.status_code == 200
    in_message(slack, fake_slack, LEAD, reject, {"action_id": ActionId.QA_REJECT, "type": "button",
                                                 "value": str(ids[2])})  # fmt: skip
    reject_form = view_of(fake_slack, "views.open")
    assert reject_form["callback_id"] == CallbackId.QA_REJECT
    reason = {BlockId.QA_REASON: {ActionId.QA_REASON: {"type": "plain_text_input", "value": ""}}}
    assert (
        submit_values(slack, fake_slack, LEAD, reject_form, reason).json()["response_action"]
        == "errors"
    )
    reason[BlockId.QA_REASON][ActionId.QA_REASON]["value"] = ("<!here> not fair " + LONG)[:500]
    assert submit_values(slack, fake_slack, LEAD, reject_form, reason).status_code == 200
    assert len([c for c in fake_slack.calls_to("chat.update") if c.response.get("ok")]) >= 3


def test_the_digest_through_its_command(fake_slack, session, settings, monkeypatch, tmp_path):
    people(session, fake_slack)
    agent = largest_record(session)
    others = [Agent(name=f"{LONG[:190]} {i:04d}", lead_member_id=None) for i in range(60)]
    session.add_all(others)
    session.flush()
    for i, other in enumerate(others):
        f.flag(session, other.id, raised_at=NOW - timedelta(days=2),
               cleared_at=NOW - timedelta(days=1) if i % 2 else None)  # fmt: skip
        session.add_all(
            Conversation(helpdesk="zendesk", external_id=f"d{other.id}-{k}", agent_id=other.id,
                         closed_at=NOW - timedelta(days=k), csat=float(1 + k % 5))
            for k in range(40)
        )  # fmt: skip
        session.add(Note(agent_id=other.id, author=LEAD, body="x", created_at=NOW - timedelta(days=20),
                         updated_at=NOW - timedelta(days=20)))  # fmt: skip
    del agent
    session.commit()
    monkeypatch.chdir(tmp_path)
    for name, value in {"DATABASE_URL": settings.database_url, "SLACK_BOT_TOKEN": fake_slack.token,
                        "SLACK_SIGNING_SECRET": "x", "SLACK_API_URL": fake_slack.url}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["digest", "send", "--now"], catch_exceptions=False)
    assert result.exit_code == 0, result.output + result.stderr
    assert "2 sent now" in result.output  # the owner and the admin
    digests = posted(fake_slack)
    assert len(digests) == 2 and all(
        any(b["type"] == "image" for b in d.args["blocks"]) for d in digests
    )


# ----------------------------------------------------------------- mentions in notifications
def test_a_hostile_name_never_notifies_anyone_or_hides_a_link(
    slack, fake_slack, session, settings, tmp_path
):
    people(session, fake_slack)
    agent = f.agent(session, HOSTILE, lead=LEAD)
    flag = f.flag(session, agent.id)
    note = f.note(session, f.viewer(session, LEAD), agent.id, body="Coach <!here> on tone",
                  follow_up_at=utcnow() + timedelta(hours=1))  # fmt: skip
    session.query(Reminder).filter(Reminder.note_id == note.id).update({"due_at": NOW})
    session.add_all([Agent(name=f"{HOSTILE} {i}") for i in range(2)])
    session.commit()
    deliver_flag(session_factory=partial(session_scope, settings.database_url),
                 notifier=SlackFlagNotifier(slack_client(settings, fake_slack.token)),
                 flag_id=flag.id, window_days=7, chart_dir=str(tmp_path))  # fmt: skip
    send_due(session_factory=partial(session_scope, settings.database_url),
             notifier=SlackReminderNotifier(slack_client(settings, fake_slack.token)),
             per_channel_interval=0, is_definite_failure=slack_refused)  # fmt: skip
    slack.command(LEAD, "<!channel> Eve")  # ambiguous: three agents
    slack.command(LEAD, "Nobody <!everyone>")  # unknown
    texts = [c.args["text"] for c in posted(fake_slack)] + [r["text"] for r in replies(fake_slack)]
    assert len(texts) == 4
    for text in texts:
        assert "<!" not in text and "<http" not in text and "<@" not in text, text
        assert "&lt;!channel&gt;" in text or "&lt;!everyone&gt;" in text
