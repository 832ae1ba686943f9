"""CSAT recovery around the first coaching note, on data with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.team.recovery import csat_recovery
from models import Conversation, Note
from tests import factories as f

FIRST_NOTE = datetime(2026, 10, 1, 12, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def rate(session, agent_id, day_offsets_and_scores):
    for offset, score in day_offsets_and_scores:
        session.add(
            Conversation(
                helpdesk="zendesk",
                external_id=f"r{agent_id}-{offset}-{score}",
                agent_id=agent_id,
                closed_at=FIRST_NOTE + timedelta(days=offset),
                csat=float(score),
            )
        )


def test_before_and_after_the_first_note_with_counts(session):
    f.member(session, "ULEAD", "owner")
    lead = f.viewer(session, "ULEAD")
    sarah, omar, _never = (
        f.agent(session, "Sarah"),
        f.agent(session, "Omar"),
        f.agent(session, "Never Coached"),
    )
    # before: days -27..-1 inside the 4-week window; -40 is outside; after: 0..27; 30 is outside
    rate(
        session, sarah.id, [(-40, 5), (-20, 2), (-10, 3), (-1, 1), (0, 4), (5, 5), (27, 3), (30, 1)]
    )
    rate(session, omar.id, [(3, 4)])
    for agent in (sarah, omar):
        note = f.note(session, lead, agent.id)
        session.flush()
        session.execute(update(Note).where(Note.id == note.id).values(created_at=FIRST_NOTE))
    later = f.note(session, lead, sarah.id)  # a later note doesn't move the first one
    session.flush()
    session.execute(
        update(Note).where(Note.id == later.id).values(created_at=FIRST_NOTE + timedelta(days=9))
    )
    session.commit()
    by_name = {r.agent: r for r in csat_recovery(session=session, now=NOW)}
    assert sorted(by_name) == ["Omar", "Sarah"]
    sarah_r = by_name["Sarah"]
    assert (sarah_r.before, sarah_r.before_count) == (2.0, 3)
    assert (sarah_r.after, sarah_r.after_count) == (4.0, 3)
    assert sarah_r.change == 2.0
    assert (by_name["Omar"].before, by_name["Omar"].before_count, by_name["Omar"].after_count) == (
        None,
        0,
        1,
    )
    assert csat_recovery(session=session, now=NOW, since=FIRST_NOTE + timedelta(days=1)) == []
    early = {
        r.agent: r for r in csat_recovery(session=session, now=FIRST_NOTE + timedelta(days=10))
    }
    assert (early["Sarah"].after, early["Sarah"].after_count) == (4.5, 2)  # only what came by now
