"""The App Home: the team at a glance for a lead, their own record for a member, within limits."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from blocks.home import own_home, stranger_home, team_home
from blocks.ids import ActionId
from bot.coaching.notes import archive_note
from bot.core.errors import OutOfScope
from bot.demo.render import render_text
from bot.people.agents import deactivate_agent
from bot.team.home import MAX_FLAGS, MAX_OTHERS, load_own_view, load_team_view, week_end
from models import Agent, Conversation, DraftStatus, Note, ProcessIssue, QaDraft, Rubric
from models.base import utcnow
from tests import factories as f
from tests.slack_conformance import view_problems
from tests.test_home_agreement import texts as block_texts

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday noon: "this week" is far from its ends


def add_rubric(session) -> Rubric:
    rubric = Rubric(
        version=1,
        name="Support basics",
        criteria=[{"name": "Empathy"}],
        source_sha256="0" * 64,
        approved_by="ULEAD",
    )
    session.add(rubric)
    session.flush()
    return rubric


def add_draft(session, agent_id: int, rubric_id: int, n: int, **kw: Any) -> QaDraft:
    draft = QaDraft(
        helpdesk="zendesk",
        external_id=str(9000 + n),
        agent_id=agent_id,
        rubric_id=rubric_id,
        engine="offline",
        summary="The customer was charged twice.",
        scores=[],
        points=[],
        customer_risk=[],
        confidence=0.5,
        route="ready",
        **kw,
    )
    session.add(draft)
    session.flush()
    return draft


def add_issue(session, draft_id: int, kind: str, text: str, topic: str | None, **kw) -> None:
    session.add(
        ProcessIssue(draft_id=draft_id, kind=kind, text=text, evidence=[], topic=topic, **kw)
    )
    session.flush()


def set_follow_up(session, note: Note, due: datetime, done: datetime | None = None) -> None:
    note.follow_up_at = due
    note.follow_up_done_at = done
    session.flush()


def rate(session, agent_id: int, at: datetime, csats: list[float]) -> None:
    for i, csat in enumerate(csats):
        session.add(
            Conversation(
                helpdesk="zendesk",
                external_id=f"r{agent_id}-{at.timestamp()}-{i}",
                agent_id=agent_id,
                closed_at=at + timedelta(minutes=i),
                csat=csat,
            )
        )
    session.flush()


@pytest.fixture()
def world(session):
    f.member(session, "ULEAD", "owner")
    f.member(session, "UADMIN", "admin")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD")
    becky = f.agent(session, "Becky Jones", lead="ULEAD")
    omar = f.agent(session, "Omar Farouk")
    priya = f.agent(session, "Priya Natarajan")
    f.member(session, "UBECKY", "member", agent="Becky Jones")
    f.member(session, "UNOAGENT", "member")
    lead = f.viewer(session, "ULEAD")

    f.flag(session, sarah.id)
    f.flag(session, omar.id, dismissed_at=NOW, dismissed_by="ULEAD", dismiss_reason="leave")
    f.flag(session, priya.id, cleared_at=NOW)

    private = f.note(session, lead, becky.id, body="Private worry about the tone on calls.")
    shared = f.note(
        session, lead, becky.id, body="Great save on the refund call!", shared_with_agent=True
    )
    shared.created_at = NOW - timedelta(days=3)
    private.created_at = NOW - timedelta(days=2)
    coached = f.note(
        session, lead, sarah.id, body="Customer jane.doe@example.com was upset about the refund."
    )
    coached.created_at = NOW - timedelta(days=14)
    due = f.note(session, lead, omar.id, body="Check the escalation macro.")
    overdue = f.note(session, lead, priya.id, body="Ask about the outage week.")
    later = f.note(session, lead, omar.id, body="Next week's check.")
    done = f.note(session, lead, priya.id, body="Already done.")
    end = week_end(NOW)
    set_follow_up(session, due, end - timedelta(hours=1))
    set_follow_up(session, overdue, NOW - timedelta(days=2))
    set_follow_up(session, later, end + timedelta(days=1))
    set_follow_up(session, done, NOW - timedelta(days=1), done=NOW)

    first = coached.created_at
    rate(session, sarah.id, first - timedelta(days=3), [3.0, 3.0, 2.0, 4.0])
    rate(session, sarah.id, first + timedelta(days=2), [4.0, 5.0, 4.0, 5.0, 4.5, 4.5])

    rubric = add_rubric(session)
    drafts = [add_draft(session, becky.id, rubric.id, n) for n in range(3)]
    add_draft(session, becky.id, rubric.id, 3, status=DraftStatus.APPROVED)
    add_issue(
        session, drafts[0].id, "documentation", "The refund article is out of date.", "Refunds"
    )
    add_issue(session, drafts[1].id, "documentation", "Refund steps missing.", "Refunds")
    add_issue(session, drafts[2].id, "policy", "Nobody knows the chargeback rule.", None)
    add_issue(session, drafts[2].id, "product", "Resolved long ago.", "Old bug", resolved_at=NOW)
    session.commit()
    return {
        "lead": lead,
        "member": f.viewer(session, "UBECKY"),
        "unlinked": f.viewer(session, "UNOAGENT"),
        "sarah": sarah.id,
        "becky": becky.id,
        "omar": omar.id,
        "priya": priya.id,
        "due": due.id,
        "overdue": overdue.id,
    }


def texts(view: dict[str, Any]) -> str:
    return json.dumps(view)


def coach_values(view: dict[str, Any]) -> list[str]:
    values = []
    for block in view["blocks"]:
        elements = [block.get("accessory") or {}, *(block.get("elements") or [])]
        values += [
            e["value"]
            for e in elements
            if isinstance(e, dict) and e.get("action_id") == "coach_open"
        ]
    return values


def test_the_lead_sees_the_team_at_a_glance(session, world):
    team = load_team_view(session=session, viewer=world["lead"], now=NOW)

    [flag] = team.flags
    assert (flag.agent_name, flag.baseline, flag.current) == ("Sarah Connor", 4.6, 3.1)
    assert team.flags_total == 1
    assert [a.name for a in team.others] == ["Becky Jones", "Omar Farouk", "Priya Natarajan"]
    assert team.agents_total == 4

    assert [(fu.note_id, fu.overdue) for fu in team.follow_ups] == [
        (world["overdue"], True),
        (world["due"], False),
    ]
    assert team.follow_ups_total == 2 and team.overdue_total == 1
    assert team.follow_ups[1].agent_name == "Omar Farouk" and team.follow_ups[1].author == "ULEAD"
    assert team.qa_pending == 3

    assert [n.agent_name for n in team.recent_notes] == [
        "Priya Natarajan",
        "Omar Farouk",
        "Priya Natarajan",
        "Omar Farouk",
        "Becky Jones",
    ]
    assert team.recent_notes[-1].excerpt == "Private worry about the tone on calls."

    assert [(i.kind, i.label, i.count) for i in team.issues] == [
        ("documentation", "Refunds", 2),
        ("policy", "Nobody knows the chargeback rule.", 1),
    ]
    assert team.issues_total == 3 and team.issue_groups_total == 2

    assert team.recovery[0].agent == "Sarah Connor"  # the biggest change first
    [recovery] = [r for r in team.recovery if r.agent == "Sarah Connor"]
    assert (recovery.before, recovery.before_count) == (3.0, 4)
    assert (recovery.after, recovery.after_count) == (4.5, 6)

    view = team_home(team)
    assert view_problems(view) == []
    text = render_text(view)
    assert "CSAT 4.60 → 3.10" in text and "Kendall τ -0.80" in text
    assert coach_values(view)[0] == str(world["sarah"])
    assert set(coach_values(view)) == {str(world[k]) for k in ("sarah", "becky", "omar", "priya")}
    assert "FOLLOW-UPS DUE THIS WEEK (2)" in text and "FLAGGED AGENTS (1)" in text
    assert text.count(":warning: overdue") == 1  # on the overdue line only
    assert "3 drafts waiting" in text
    assert "Documentation gap" in text and "Refunds" in text and "2 times" in text
    assert "3.00 (4 ratings) → 4.50 (6 ratings)" in text and "+1.50" in text
    assert any(
        b.get("accessory", {}).get("action_id") == ActionId.PICK_AGENT for b in view["blocks"]
    )


def test_recent_notes_are_redacted_one_line_excerpts(session, world):
    lead = world["lead"]
    f.note(
        session, lead, world["sarah"], body="Call  jane.doe@example.com\nback about\n\nthe refund"
    )
    session.commit()
    team = load_team_view(session=session, viewer=lead, now=utcnow())
    newest = team.recent_notes[0]
    assert newest.excerpt == "Call [EMAIL] back about the refund"
    text = texts(team_home(team))
    assert "jane.doe@example.com" not in text and "[EMAIL]" in text


def test_admins_are_leads_and_members_are_not(session, world):
    admin = f.viewer(session, "UADMIN")
    assert load_team_view(session=session, viewer=admin, now=NOW).flags_total == 1
    with pytest.raises(OutOfScope):
        load_team_view(session=session, viewer=world["member"], now=NOW)


def test_archived_notes_and_deactivated_agents_stay_out_of_both_views(session, world):
    lead = world["lead"]
    shared = f.note(session, lead, world["becky"], body="Shared, then archived.",
                    shared_with_agent=True)  # fmt: skip
    followed = f.note(session, lead, world["omar"], body="Archived with a follow-up.")
    set_follow_up(session, followed, NOW - timedelta(hours=1))
    for note in (shared, followed):
        archive_note(session=session, actor=lead, note_id=note.id)
    gone = f.agent(session, "Gone Agent")
    f.flag(session, gone.id)
    deactivate_agent(session=session, actor="test", name="Gone Agent")
    session.commit()
    own = load_own_view(session=session, viewer=world["member"], now=NOW)
    assert [n.body for n in own.notes] == ["Great save on the refund call!"]
    team = load_team_view(session=session, viewer=lead, now=NOW)
    assert [fu.note_id for fu in team.follow_ups] == [world["overdue"], world["due"]]
    assert not {shared.id, followed.id} & {n.note_id for n in team.recent_notes}
    assert team.flags_total == 1 and [fl.agent_name for fl in team.flags] == ["Sarah Connor"]


def test_a_member_sees_only_their_own_record_and_shared_notes(session, world):
    own = load_own_view(session=session, viewer=world["member"], now=NOW)
    assert own.agent_name == "Becky Jones"
    assert [n.body for n in own.notes] == ["Great save on the refund call!"]
    view = own_home(own)
    assert view_problems(view) == []
    text = texts(view)
    assert "Becky Jones" in text and "Great save" in text
    for other in ("Sarah", "Omar", "Priya", "Private worry", "CSAT", "drafts", "Refunds"):
        assert other not in text
    assert coach_values(view) == [str(world["becky"])]


def test_a_member_without_a_linked_agent_and_a_stranger(session, world):
    own = load_own_view(session=session, viewer=world["unlinked"], now=NOW)
    assert own.agent_id is None and own.notes == []
    assert "isn't linked" in texts(own_home(own))
    assert "not set up" in texts(stranger_home())


def _big_world(session, agents: int, notes: int, flags: int) -> None:
    lead = f.viewer(session, "ULEAD")
    long = "Ω" * 150 + " <&>"
    rows = [Agent(name=f"{long} {i:04d}", active=True) for i in range(agents)]
    session.add_all(rows)
    session.flush()
    for i, agent in enumerate(rows[:flags]):
        f.flag(session, agent.id, current=3.0 - i / 100)
    becky = session.query(Agent).filter_by(name="Becky Jones").one()
    for i in range(notes):
        agent_id = becky.id if i % 2 else rows[i % len(rows)].id
        note = Note(
            agent_id=agent_id,
            author="ULEAD",
            body=("<&> call 555-867-5309 " * 200)[:3000],
            shared_with_agent=True,
            follow_up_at=NOW + timedelta(minutes=i) if i % 3 else NOW - timedelta(days=1),
            created_at=NOW - timedelta(minutes=i),
            updated_at=NOW,
        )
        session.add(note)
    rubric = session.query(Rubric).one()
    draft = add_draft(session, becky.id, rubric.id, 99)
    for i in range(notes):
        add_issue(session, draft.id, "documentation", "<&>" * 1000, f"{long} topic {i}")
    session.flush()
    del lead
    session.commit()


def test_limits_hold_with_500_agents_200_notes_100_flags(session, world):
    _big_world(session, agents=500, notes=200, flags=100)
    team = load_team_view(session=session, viewer=world["lead"], now=NOW)
    assert team.flags_total == 101 and len(team.flags) == MAX_FLAGS
    assert team.others_total == 403 and len(team.others) == MAX_OTHERS
    assert team.follow_ups_total >= 200
    own = load_own_view(session=session, viewer=world["member"], now=NOW)
    assert own.notes_total == 101
    for view in (team_home(team, window_days=7), own_home(own)):
        assert view_problems(view) == []
        assert len(view["blocks"]) <= 100
        for block in view["blocks"]:
            assert len(block.get("text", {}).get("text", "")) <= 3000
            for element in block.get("elements", []):
                assert len(element.get("text", "")) <= 3000
    text = render_text(team_home(team))
    assert "91 more flagged agents" in text
    assert "555-867-5309" not in texts(team_home(team)) + texts(own_home(own))


def test_the_data_load_is_a_fixed_number_of_queries(session, world, count_queries):
    with count_queries as small:
        load_team_view(session=session, viewer=world["lead"], now=NOW)
    with count_queries as small_own:
        load_own_view(session=session, viewer=world["member"], now=NOW)
    _big_world(session, agents=200, notes=100, flags=50)
    with count_queries as big:
        load_team_view(session=session, viewer=world["lead"], now=NOW)
    with count_queries as big_own:
        load_own_view(session=session, viewer=world["member"], now=NOW)
    assert big.count == small.count <= 8
    assert big_own.count == small_own.count <= 3


def _open_home(slack, user: str) -> Any:
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event_id": f"Ev{user}",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"},
    }
    return slack.post(json.dumps(event), content_type="application/json")


def test_opening_the_home_tab_publishes_each_persons_view(slack, fake_slack, world):
    for user in ("ULEAD", "UBECKY", "USTRANGER"):
        fake_slack.add_user(user)
        assert _open_home(slack, user).status_code == 200
    lead, member, stranger = fake_slack.calls_to("views.publish")
    assert lead.args["user_id"] == "ULEAD" and "error" not in lead.response
    lead_text = render_text(lead.args["view"])
    assert "Sarah Connor" in lead_text and "CSAT 4.60 → 3.10" in lead_text
    assert "3 drafts waiting" in lead_text
    assert coach_values(lead.args["view"])[0] == str(world["sarah"])

    assert member.args["user_id"] == "UBECKY"
    member_text = texts(member.args["view"])
    assert "Becky Jones" in member_text and "Great save" in member_text
    assert "Sarah" not in member_text and "Private worry" not in member_text

    assert "not set up" in texts(stranger.args["view"])


def test_the_coach_button_on_the_home_tab_opens_the_record(slack, fake_slack, world):
    fake_slack.add_user("ULEAD")
    _open_home(slack, "ULEAD")
    [publish] = fake_slack.calls_to("views.publish")
    home = fake_slack.views[publish.response["view"]["id"]]
    slack.click("ULEAD", ActionId.COACH_OPEN, str(world["sarah"]), view=home)
    [opened] = fake_slack.calls_to("views.open")
    assert "Sarah Connor" in texts(opened.args["view"])


def agreement_texts(view: dict[str, Any]) -> list[str]:
    """The texts of the AI agreement section, up to the next divider."""
    blocks = view["blocks"]
    [start] = [i for i, b in enumerate(blocks) if b.get("text", {}).get("text") == AGREEMENT_HEADER]
    section = []
    for block in blocks[start + 1 :]:
        if block["type"] == "divider":
            break
        section.append(block)
    return block_texts(section)


AGREEMENT_HEADER = "AI agreement (last 30 days)"


def decide(session, draft: QaDraft, status: DraftStatus, at: datetime, **attrs: Any) -> None:
    draft.status, draft.decided_at = status, at
    draft.scores = [{"criterion": "Empathy", "score": 3, "max": 4}]
    for name, value in attrs.items():
        setattr(draft, name, value)
    session.flush()


def test_a_lead_sees_the_ai_agreement_on_the_home_tab_and_a_member_does_not(
    session, slack, fake_slack, world
):
    rubric = session.query(Rubric).one()
    recently, long_ago = utcnow() - timedelta(days=2), utcnow() - timedelta(days=31)
    drafts = [add_draft(session, world["becky"], rubric.id, 20 + n) for n in range(5)]
    decide(session, drafts[0], DraftStatus.APPROVED, recently)
    decide(session, drafts[1], DraftStatus.APPROVED, recently)
    decide(session, drafts[2], DraftStatus.EDITED, recently,
           points=[{"text": "Apologise first.", "rootCause": "agent_behavior"},
                   {"text": "Quote the refund rule.", "rootCause": "policy"}],
           edited_points=[{"index": 1, "text": "Link the refund article.",
                           "rootCause": "documentation"}],
           final_scores=[{"criterion": "Empathy", "score": 1}])  # fmt: skip
    decide(session, drafts[3], DraftStatus.REJECTED, recently)
    decide(session, drafts[4], DraftStatus.APPROVED, long_ago)  # outside the 30 days
    session.commit()
    for user in ("ULEAD", "UBECKY"):
        fake_slack.add_user(user)
        assert _open_home(slack, user).status_code == 200
    lead, member = fake_slack.calls_to("views.publish")
    assert "error" not in lead.response and view_problems(lead.args["view"]) == []
    lines = agreement_texts(lead.args["view"])
    assert lines == [
        "*4 drafts* decided · *50%* approved unchanged (2 approved, 1 edited, 1 rejected)\n"
        "*1* of 2 points suggested in edited drafts removed\n"
        "*1 root cause* changed · Policy → Documentation gap (1)",
        "```\n"
        "Criterion                Decided Unchanged Mean |diff|\n"
        "Empathy                        4       50%        0.67\n"  # |3 - 1| on the edited one
        "Overall                        4       50%        0.67\n"
        "```",
        "QA drafts a lead approved, edited or rejected in the last 30 days; approved unchanged "
        "means the lead kept the draft as the AI wrote it; mean |diff| is the mean difference "
        "between the suggested and the final score (a rejected draft has none).",
    ]
    assert "error" not in member.response
    member_text = texts(member.args["view"])
    assert "AI agreement" not in member_text and "approved unchanged" not in member_text


def test_the_lead_is_told_when_no_draft_was_decided_in_30_days(slack, fake_slack, world):
    fake_slack.add_user("ULEAD")
    _open_home(slack, "ULEAD")
    [publish] = fake_slack.calls_to("views.publish")
    assert agreement_texts(publish.args["view"]) == [
        "No QA drafts were decided in the last 30 days, so there is no agreement to show yet."
    ]
