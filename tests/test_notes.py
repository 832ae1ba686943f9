"""Writing, editing and archiving notes: validation, scope and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.coaching.notes import archive_note, create_note, edit_note
from bot.core.errors import InvalidInput, NotFound, OutOfScope
from models import AuditEntry, Note
from models.base import utcnow
from tests import factories as f


@pytest.fixture()
def world(session):
    f.member(session, "ULEAD", "owner")
    f.member(session, "UADMIN", "admin")
    sarah = f.agent(session, "Sarah", lead="ULEAD")
    other = f.agent(session, "Omar")
    f.member(session, "USARAH", "member", agent="Sarah")
    return {
        "lead": f.viewer(session, "ULEAD"),
        "admin": f.viewer(session, "UADMIN"),
        "member": f.viewer(session, "USARAH"),
        "sarah": sarah,
        "other": other,
    }


def audit(session, note_id):
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "note", AuditEntry.entity_id == note_id)
            .order_by(AuditEntry.id)
        )
    )


def test_create_records_author_and_audit(session, world):
    note = create_note(
        session=session, actor=world["lead"], agent_id=world["sarah"].id, body="  Good call.  "
    )
    assert note.body == "Good call." and note.author == "ULEAD" and not note.shared_with_agent
    [entry] = audit(session, note.id)
    assert (
        entry.action == "note.create"
        and entry.actor == "ULEAD"
        and entry.after["body"] == "Good call."
    )


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 3001])
def test_empty_or_too_long_body_is_refused(session, world, body):
    with pytest.raises(InvalidInput) as caught:
        create_note(session=session, actor=world["lead"], agent_id=world["sarah"].id, body=body)
    assert caught.value.field == "body"


def test_a_past_follow_up_is_refused(session, world):
    with pytest.raises(InvalidInput) as caught:
        create_note(
            session=session,
            actor=world["lead"],
            agent_id=world["sarah"].id,
            body="x",
            follow_up_at=utcnow() - timedelta(hours=1),
        )
    assert caught.value.field == "follow_up"


def test_sample_of_another_agent_is_refused(session, world):
    theirs = f.sample(session, world["other"].id)
    with pytest.raises(InvalidInput) as caught:
        create_note(
            session=session,
            actor=world["lead"],
            agent_id=world["sarah"].id,
            body="x",
            sample_id=theirs.id,
        )
    assert caught.value.field == "sample"


def test_members_write_nothing(session, world):
    with pytest.raises(OutOfScope):
        create_note(session=session, actor=world["member"], agent_id=world["sarah"].id, body="me")
    note = f.note(session, world["lead"], world["sarah"].id)
    with pytest.raises(OutOfScope):
        edit_note(session=session, actor=world["member"], note_id=note.id, body="changed")
    with pytest.raises(OutOfScope):
        archive_note(session=session, actor=world["member"], note_id=note.id)


def test_same_idempotency_key_makes_one_note(session, world):
    first = create_note(
        session=session,
        actor=world["lead"],
        agent_id=world["sarah"].id,
        body="a",
        idempotency_key="k1",
    )
    again = create_note(
        session=session,
        actor=world["lead"],
        agent_id=world["sarah"].id,
        body="a",
        idempotency_key="k1",
    )
    assert first.id == again.id
    assert session.scalar(select(Note.id).where(Note.body == "a").limit(2)) == first.id
    assert len(audit(session, first.id)) == 1


def test_edit_keeps_the_earlier_version_in_the_audit_trail(session, world):
    note = f.note(session, world["lead"], world["sarah"].id, body="first version")
    edit_note(session=session, actor=world["admin"], note_id=note.id, body="second version")
    edit_note(session=session, actor=world["lead"], note_id=note.id, shared_with_agent=True)
    entries = audit(session, note.id)
    assert [e.action for e in entries] == ["note.create", "note.edit", "note.share"]
    assert (
        entries[1].before["body"] == "first version"
        and entries[1].after["body"] == "second version"
    )
    assert entries[1].actor == "UADMIN"
    assert note.body == "second version" and note.shared_with_agent


def test_an_edit_that_changes_nothing_writes_no_audit(session, world):
    note = f.note(session, world["lead"], world["sarah"].id, body="same")
    edit_note(session=session, actor=world["lead"], note_id=note.id, body="same")
    assert len(audit(session, note.id)) == 1


def test_archive_is_a_soft_delete(session, world):
    note = f.note(session, world["lead"], world["sarah"].id)
    archive_note(session=session, actor=world["lead"], note_id=note.id)
    kept = session.get(Note, note.id)
    assert kept is not None and kept.archived_at is not None
    assert audit(session, note.id)[-1].action == "note.archive"
    with pytest.raises(NotFound):
        archive_note(session=session, actor=world["lead"], note_id=note.id)
    with pytest.raises(NotFound):
        edit_note(session=session, actor=world["lead"], note_id=note.id, body="late edit")
