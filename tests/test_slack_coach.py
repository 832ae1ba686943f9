"""/coach and the Coach modal, driven through Bolt's real signature check against a fake Slack."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from blocks.ids import ActionId
from bot.core.db import session_scope
from models import AuditEntry, Note
from tests import factories as f


@pytest.fixture()
def team(session):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD", slack_user="USARAHAGENT")
    f.agent(session, "Sarah Lee", lead="ULEAD")
    becky = f.agent(session, "Becky Jones", lead="ULEAD")
    f.member(session, "UBECKY", "member", agent="Becky Jones")
    for csat in (3.0, 1.0, 2.0):
        f.sample(session, sarah.id, csat=csat)
    f.note(session, f.viewer(session, "ULEAD"), becky.id, body="Private worry about Becky.")
    f.note(
        session,
        f.viewer(session, "ULEAD"),
        becky.id,
        body="Great save on the refund call!",
        shared_with_agent=True,
    )
    session.commit()
    return {"sarah": sarah.id, "becky": becky.id}


def opened_view(fake):
    [call] = fake.calls_to("views.open")
    return fake.views[call.response["view"]["id"]]


def replies(fake):
    return [c.args for c in fake.calls_to("response_url")]


def text_of(view):
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_forged_signature_and_stale_timestamp_are_refused(slack, team, fake_slack):
    assert (
        slack.post(
            "command=%2Fcoach&text=Sarah&user_id=ULEAD", signature="v0=" + "0" * 64
        ).status_code
        == 401
    )
    stale = int(time.time()) - 6 * 60
    assert (
        slack.post("command=%2Fcoach&text=Sarah&user_id=ULEAD", timestamp=stale).status_code == 401
    )
    assert fake_slack.calls_to("views.open") == []


def test_coach_by_name_opens_the_modal_with_worst_samples_first(slack, team, fake_slack):
    assert slack.command("ULEAD", "sarah connor").status_code == 200
    view = opened_view(fake_slack)
    assert view["title"]["text"] == "Coach Sarah Connor"
    csats = [
        b["text"]["text"].split("*")[1]
        for b in view["blocks"]
        if "CSAT" in b.get("text", {}).get("text", "")[:8]
    ]
    assert csats == ["CSAT 1", "CSAT 2", "CSAT 3"]
    assert view["submit"]["text"] == "Save note"
    assert any(
        b.get("accessory", {}).get("url", "").startswith("https://acme.zendesk.com/agent/tickets/")
        for b in view["blocks"]
    )


def test_coach_by_mention_resolves_the_slack_user(slack, team, fake_slack):
    slack.command("ULEAD", "<@USARAHAGENT|sarah>")
    assert opened_view(fake_slack)["title"]["text"] == "Coach Sarah Connor"


def test_unknown_name_is_named_back_with_suggestions(slack, team, fake_slack):
    slack.command("ULEAD", "Beky")
    [reply] = replies(fake_slack)
    assert reply["response_type"] == "ephemeral"
    assert "“Beky”" in reply["text"] and "Becky Jones" in reply["text"]
    assert fake_slack.calls_to("views.open") == []


def test_ambiguous_name_offers_each_match_as_a_button(slack, team, fake_slack):
    slack.command("ULEAD", "sarah")
    [reply] = replies(fake_slack)
    buttons = reply["blocks"][1]["elements"]
    assert sorted(b["text"]["text"] for b in buttons) == ["Sarah Connor", "Sarah Lee"]
    assert len({b["action_id"] for b in buttons}) == 2  # Slack refuses repeats in one block
    chosen = next(b for b in buttons if b["text"]["text"] == "Sarah Lee")
    slack.click("ULEAD", chosen["action_id"], chosen["value"])
    assert opened_view(fake_slack)["title"]["text"] == "Coach Sarah Lee"


def test_no_argument_offers_a_picker_that_opens_the_modal(slack, team, fake_slack):
    slack.command("ULEAD", "")
    [reply] = replies(fake_slack)
    select_ = reply["blocks"][0]["accessory"]
    assert [o["text"]["text"] for o in select_["options"]] == [
        "Becky Jones",
        "Sarah Connor",
        "Sarah Lee",
    ]
    slack.click("ULEAD", ActionId.PICK_AGENT, selected=select_["options"][0]["value"])
    assert opened_view(fake_slack)["title"]["text"] == "Coach Becky Jones"


def test_member_sees_own_shared_notes_without_composer(slack, team, fake_slack):
    slack.command("UBECKY", "")
    view = opened_view(fake_slack)
    assert "submit" not in view
    assert all(b["type"] != "input" for b in view["blocks"])
    assert "Great save" in text_of(view) and "Private worry" not in text_of(view)
    assert ActionId.NOTE_EDIT not in text_of(view)


@pytest.mark.parametrize("query", ["Sarah Connor", "sarah", "nobody at all", "<@USARAHAGENT>"])
def test_member_asking_for_anyone_else_learns_nothing(slack, team, fake_slack, query):
    slack.command("UBECKY", query)
    [reply] = replies(fake_slack)
    assert "You can only see your own coaching record" in reply["text"]
    assert "Sarah" not in json.dumps(reply)
    assert fake_slack.calls_to("views.open") == []


def test_member_coach_button_for_another_agent_is_refused(slack, team, fake_slack):
    slack.click("UBECKY", ActionId.COACH_OPEN, str(team["sarah"]))
    assert "only see your own" in replies(fake_slack)[0]["text"]
    assert fake_slack.calls_to("views.open") == []


def test_stranger_is_told_to_ask_an_owner(slack, team, fake_slack):
    slack.command("USTRANGER", "Sarah")
    assert "not set up in Debrief" in replies(fake_slack)[0]["text"]


def test_coach_button_opens_the_same_modal(slack, team, fake_slack):
    slack.click("ULEAD", ActionId.COACH_OPEN, str(team["sarah"]))
    assert opened_view(fake_slack)["title"]["text"] == "Coach Sarah Connor"


def test_views_open_rate_limited_is_retried(slack, team, fake_slack):
    fake_slack.fail_next("views.open", status=429, retry_after=1)
    slack.command("ULEAD", "Sarah Connor")
    calls = fake_slack.calls_to("views.open")
    assert [c.status for c in calls] == [429, 200]
    assert calls[-1].response["ok"], calls[-1].response  # the retry opened the modal


def save(slack, view, **fields):
    response = slack.submit("ULEAD", view, **fields)
    assert response.status_code == 200
    return response.json() if response.content else {}


def test_saving_a_note_updates_the_modal_and_clears_the_composer(slack, team, fake_slack, db):
    slack.command("ULEAD", "Sarah Connor")
    view = opened_view(fake_slack)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    answer = save(
        slack, view, body="Let's role-play the refund call.", follow_up=tomorrow, share=True
    )
    assert answer["response_action"] == "update"
    updated = answer["view"]
    assert "Let's role-play the refund call." in text_of(updated)
    assert "Shared with agent" in text_of(updated) and "Follow-up due" in text_of(updated)
    old_ids = {b.get("block_id") for b in view["blocks"] if b["type"] == "input"}
    new_ids = {b.get("block_id") for b in updated["blocks"] if b["type"] == "input"}
    assert old_ids.isdisjoint(new_ids)
    from bot.core.db import session_scope

    with session_scope(db) as s:
        [note] = s.scalars(select(Note).where(Note.agent_id == team["sarah"])).all()
        assert note.author == "ULEAD" and note.shared_with_agent and note.follow_up_at is not None


def test_inline_errors_for_empty_body_and_past_date(slack, team, fake_slack, db):
    slack.command("ULEAD", "Sarah Connor")
    view = opened_view(fake_slack)
    answer = save(slack, view, body="   ")
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["note_body.0"]
    past = (date.today() - timedelta(days=3)).isoformat()
    answer = save(slack, view, body="ok", follow_up=past)
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["note_follow_up.0"]
    from bot.core.db import session_scope

    with session_scope(db) as s:
        assert (
            s.scalar(select(func.count()).select_from(Note).where(Note.agent_id == team["sarah"]))
            == 0
        )


def test_a_retried_submission_makes_one_note(slack, team, fake_slack, db):
    slack.command("ULEAD", "Sarah Connor")
    view = opened_view(fake_slack)
    save(slack, view, body="Only once, please.")
    slack.submit(
        "ULEAD",
        view,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        body="Only once, please.",
    )
    from bot.core.db import session_scope

    with session_scope(db) as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Note).where(Note.body == "Only once, please.")
            )
            == 1
        )


def test_edit_pushes_a_prefilled_form_and_refreshes_the_modal(slack, team, fake_slack, db):
    slack.command("ULEAD", "Sarah Connor")
    view = opened_view(fake_slack)
    root = fake_slack.views[save(slack, view, body="First draft.") and view["id"]]
    edit_button = next(
        e
        for b in root["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ActionId.NOTE_EDIT
    )
    slack.click("ULEAD", ActionId.NOTE_EDIT, edit_button["value"], view=root)
    [push] = fake_slack.calls_to("views.push")
    form = fake_slack.views[push.response["view"]["id"]]
    assert form["title"]["text"] == "Edit note"
    assert form["blocks"][1]["element"]["initial_value"] == "First draft."
    response = slack.submit("ULEAD", form, body="Second draft.", share=True)
    assert response.status_code == 200 and not response.content
    [update] = fake_slack.calls_to("views.update")
    assert update.args["view_id"] == root["id"] and update.args["hash"] == root["hash"]
    refreshed = fake_slack.views[root["id"]]
    assert "Second draft." in text_of(refreshed) and "First draft." not in text_of(refreshed)
    from bot.core.db import session_scope

    with session_scope(db) as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "note").order_by(AuditEntry.id)
        ).all()
        assert entries[-1].before == {**(entries[-1].before or {}), "body": "First draft."}
        assert entries[-1].after == {**(entries[-1].after or {}), "body": "Second draft."}


def test_archive_removes_the_note_from_the_modal_but_keeps_it(slack, team, fake_slack, db):
    slack.command("ULEAD", "Becky Jones")
    view = opened_view(fake_slack)
    archive_button = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ActionId.NOTE_ARCHIVE
    )
    assert archive_button["confirm"]["confirm"]["text"] == "Archive"
    slack.click("ULEAD", ActionId.NOTE_ARCHIVE, archive_button["value"], view=view)
    [update] = fake_slack.calls_to("views.update")
    assert update.args["hash"] == view["hash"]
    refreshed = fake_slack.views[view["id"]]
    assert "Great save" not in text_of(refreshed)
    from bot.core.db import session_scope

    with session_scope(db) as s:
        note = s.get(Note, int(archive_button["value"]))
        assert note is not None and note.archived_at is not None


def test_hundred_notes_and_twenty_samples_stay_within_limits_and_page(
    slack, team, fake_slack, session
):
    lead = f.viewer(session, "ULEAD")
    for _ in range(25):
        f.sample(session, team["sarah"])
    for i in range(100):
        f.note(session, lead, team["sarah"], body=f"note number {i}")
    session.commit()
    slack.command("ULEAD", "Sarah Connor")
    view = opened_view(fake_slack)
    assert len(view["blocks"]) <= 100
    assert "note number 99" in text_of(view) and "note number 89" not in text_of(view)
    pager = next(b for b in view["blocks"] if b.get("block_id") == "notes_pager")
    older = next(e for e in pager["elements"] if e["action_id"] == ActionId.NOTES_OLDER)
    slack.click("ULEAD", ActionId.NOTES_OLDER, older["value"], view=view)
    page2 = fake_slack.views[view["id"]]
    assert "note number 89" in text_of(page2) and "note number 99" not in text_of(page2)
    assert "Notes 11–20 of 100" in text_of(page2)


def test_home_tab_lists_agents_with_coach_buttons(slack, team, fake_slack):
    fake_slack.add_user("ULEAD")
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event_id": "Ev1",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": "ULEAD", "channel": "D1", "tab": "home"},
    }
    assert slack.post(json.dumps(event), content_type="application/json").status_code == 200
    [publish] = fake_slack.calls_to("views.publish")
    assert "Sarah Connor" in json.dumps(publish.args["view"])


def test_an_expired_trigger_is_explained_not_swallowed(slack, team, fake_slack):
    fake_slack.fail_next("views.open", error="expired_trigger_id")
    slack.command("ULEAD", "Sarah Connor")
    [reply] = replies(fake_slack)
    assert "expired_trigger_id" in reply["text"] and "try again" in reply["text"]


def test_a_longest_note_is_shown_whole_within_slacks_section_limit(
    slack, team, fake_slack, session
):
    lead = f.viewer(session, "ULEAD")
    f.note(session, lead, team["sarah"], body="<&>" * 1000)  # 15,000 characters escaped
    f.note(session, lead, team["sarah"], body="*Bold* & <kind> " * 100)  # 2,600 escaped: fits
    session.commit()
    slack.command("ULEAD", "Sarah Connor")
    view = opened_view(fake_slack)
    bodies = {
        b["block_id"]: b["text"]
        for b in view["blocks"]
        if b.get("block_id", "").startswith("note.")
    }
    assert sorted(t["type"] for t in bodies.values()) == ["mrkdwn", "plain_text"]
    assert {"type": "plain_text", "text": "<&>" * 1000} in bodies.values()  # whole, as typed
    escaped = "*Bold* &amp; &lt;kind&gt; " * 100
    assert {"type": "mrkdwn", "text": escaped.rstrip()} in bodies.values()


@pytest.mark.parametrize(
    "forged",
    [
        '{"agent_id": "abc", "page": "x", "gen": "y"}',
        '{"agent_id": 99999999999999999999999, "gen": -5}',
        '{"agent_id": null}',
        "[1, 2]",
        "not json",
        "",
    ],
)
def test_a_coach_modal_whose_metadata_isnt_debriefs_saves_nothing_and_says_why(
    slack, team, fake_slack, db, forged
):
    slack.command("ULEAD", "Sarah Connor")
    view = {**opened_view(fake_slack), "private_metadata": forged}
    answer = save(slack, view, body="A note that must not land anywhere.")
    assert answer["response_action"] == "errors" and answer["errors"]
    with session_scope(db) as s:
        assert (
            s.scalar(select(func.count()).select_from(Note).where(Note.body.like("A note that%")))
            == 0
        )
