"""What the Coach modal loads: samples worst first, notes newest first, paging, scope, query count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.coaching import load_coach_record
from bot.errors import OutOfScope
from models.base import utcnow
from tests import factories as f


@pytest.fixture()
def world(session):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah", lead="ULEAD")
    omar = f.agent(session, "Omar")
    f.member(session, "USARAH", "member", agent="Sarah")
    return {
        "lead": f.viewer(session, "ULEAD"),
        "member": f.viewer(session, "USARAH"),
        "sarah": sarah,
        "omar": omar,
    }


def test_samples_worst_csat_first_and_at_most_twenty(session, world):
    now = utcnow()
    for i in range(25):
        f.sample(
            session, world["sarah"].id, csat=float(5 - i % 5), closed_at=now - timedelta(hours=i)
        )
    f.sample(session, world["sarah"].id, csat=None)
    record = load_coach_record(session=session, viewer=world["lead"], agent_id=world["sarah"].id)
    assert len(record.samples) == 20
    csats = [s.csat or 0.0 for s in record.samples]
    assert csats == sorted(csats)
    assert csats[0] == 1.0


def test_notes_newest_first_paged(session, world):
    for i in range(23):
        f.note(session, world["lead"], world["sarah"].id, body=f"note {i}")
    first = load_coach_record(
        session=session, viewer=world["lead"], agent_id=world["sarah"].id, page_size=10
    )
    assert [n.body for n in first.notes][:2] == ["note 22", "note 21"]
    assert first.notes_total == 23 and first.has_older
    last = load_coach_record(
        session=session, viewer=world["lead"], agent_id=world["sarah"].id, page=2, page_size=10
    )
    assert [n.body for n in last.notes] == ["note 2", "note 1", "note 0"] and not last.has_older


def test_member_sees_only_shared_notes_and_cannot_write(session, world):
    f.note(session, world["lead"], world["sarah"].id, body="private thought")
    f.note(session, world["lead"], world["sarah"].id, body="shared praise", shared_with_agent=True)
    record = load_coach_record(session=session, viewer=world["member"], agent_id=world["sarah"].id)
    assert [n.body for n in record.notes] == ["shared praise"]
    assert record.notes_total == 1 and not record.can_write
    with pytest.raises(OutOfScope):
        load_coach_record(session=session, viewer=world["member"], agent_id=world["omar"].id)


def test_query_count_does_not_grow_with_notes_or_samples(session, world, count_queries):
    f.note(session, world["lead"], world["sarah"].id)
    f.sample(session, world["sarah"].id)
    session.commit()
    with count_queries as small:
        load_coach_record(session=session, viewer=world["lead"], agent_id=world["sarah"].id)
    for i in range(100):
        f.note(session, world["lead"], world["sarah"].id, body=f"n{i}")
    for _ in range(30):
        f.sample(session, world["sarah"].id)
    session.commit()
    with count_queries as big:
        load_coach_record(session=session, viewer=world["lead"], agent_id=world["sarah"].id)
    assert big.count == small.count <= 4
