"""An agent's record exported, erased by an owner, and aged out by the retention setting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.app.scheduler import build_scheduler
from bot.app.services import Services
from bot.cli import main
from bot.coaching.notes import archive_note
from bot.core.db import session_scope
from bot.privacy.export import apply_retention, erase_agent, export_agent, months_before
from jobs.work import retention_job
from models import AuditEntry, Delivery, Flag, Note, Reminder, ReminderStatus, Sample
from models.base import utcnow
from tests import factories as f


def add_flag(session, agent_id: int) -> Flag:
    flag = f.flag(session, agent_id, p_value=0.01)
    session.add(Delivery(kind="flag", subject=str(flag.id), recipient="UOWNER"))
    return flag


@pytest.fixture()
def record(session):
    f.member(session, "UOWNER", "owner")
    f.member(session, "UADMIN", "admin")
    sarah = f.agent(session, "Sarah Connor", lead="UOWNER", email="sarah@example.com")
    other = f.agent(session, "Omar Haddad")
    owner = f.viewer(session, "UOWNER")
    sample = f.sample(session, sarah.id, csat=1.0)
    f.sample(session, other.id)
    kept = f.note(session, owner, sarah.id, body="Talk about refunds.", sample_id=sample.id)
    gone = f.note(session, owner, sarah.id, body="Archived one.")
    archive_note(session=session, actor=owner, note_id=gone.id)
    f.note(session, owner, other.id, body="Omar's own note.")
    add_flag(session, sarah.id)
    session.commit()
    return {"sarah": sarah.id, "other": other.id, "kept": kept.id, "gone": gone.id}


def count(db: str, model, **where) -> int:
    with session_scope(db) as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(s.scalar(query) or 0)


def test_export_holds_notes_samples_flags_and_audit(db, record):
    with session_scope(db) as s:
        document = export_agent(session=s, name="sarah connor")
    json.dumps(document)  # plain JSON
    assert document["agent"]["name"] == "Sarah Connor" and document["agent"]["lead"] == "UOWNER"
    assert [n["body"] for n in document["notes"]] == ["Talk about refunds.", "Archived one."]
    assert document["notes"][0]["archivedAt"] is None and document["notes"][1]["archivedAt"]
    assert len(document["samples"]) == 1 and document["samples"][0]["csat"] == 1.0
    assert len(document["flags"]) == 1 and document["flags"][0]["pValue"] == 0.01
    actions = [(e["entity"], e["action"]) for e in document["audit"]]
    assert ("agent", "agent.create") in actions and ("note", "note.archive") in actions
    assert actions.count(("note", "note.create")) == 2
    assert "Omar" not in json.dumps(document)


def test_erase_removes_the_record_and_keeps_one_entry_that_it_happened(db, record):
    with session_scope(db) as s:
        erased = erase_agent(session=s, name="Sarah Connor", by="UOWNER")
    assert (erased.notes, erased.samples, erased.flags) == (2, 1, 1)
    assert count(db, Note, agent_id=record["sarah"]) == 0
    assert count(db, Sample, agent_id=record["sarah"]) == 0
    assert count(db, Flag, agent_id=record["sarah"]) == 0 and count(db, Delivery) == 0
    assert count(db, Note, agent_id=record["other"]) == 1
    assert count(db, Sample, agent_id=record["other"]) == 1
    with session_scope(db) as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        notes_left = {e.entity_id for e in entries if e.entity == "note"}
        assert notes_left.isdisjoint({record["kept"], record["gone"]})
        last = entries[-1]
        assert (last.action, last.actor, last.entity_id) == (
            "agent.erase",
            "UOWNER",
            record["sarah"],
        )
        assert last.after == {"notes": 2, "samples": 1, "flags": 1}
        document = export_agent(session=s, name="Sarah Connor")
    assert document["notes"] == [] and document["samples"] == [] and document["flags"] == []


@pytest.mark.parametrize("by", ["UADMIN", "USTRANGER"])
def test_only_an_owner_may_erase(db, record, by):
    from bot.core.errors import OutOfScope

    with session_scope(db) as s, pytest.raises(OutOfScope, match="only an owner"):
        erase_agent(session=s, name="Sarah Connor", by=by)
    assert count(db, Note, agent_id=record["sarah"]) == 2


@pytest.fixture()
def run(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.delenv("DEBRIEF_RETENTION_MONTHS", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_cli_export_and_erase(run, db, record, tmp_path):
    printed = run("agents", "export", "Sarah Connor")
    assert printed.exit_code == 0
    assert json.loads(printed.stdout)["agent"]["email"] == "sarah@example.com"
    out = tmp_path / "sarah.json"
    assert run("agents", "export", "Sarah Connor", "-o", str(out)).exit_code == 0
    assert len(json.loads(out.read_text())["notes"]) == 2
    refused = run("agents", "erase", "Sarah Connor", "--by", "UADMIN")
    assert refused.exit_code != 0 and len(refused.stderr.strip().splitlines()) == 1
    assert count(db, Note, agent_id=record["sarah"]) == 2
    unknown = run("agents", "erase", "Sarah", "--by", "UOWNER")
    assert unknown.exit_code != 0 and "no agent is named" in unknown.stderr
    assert run("agents", "export", "Nobody").exit_code != 0
    assert run("agents", "erase", "Sarah Connor").exit_code != 0  # --by is required
    done = run("agents", "erase", "Sarah Connor", "--by", "UOWNER")
    assert done.exit_code == 0 and "2 notes, 1 samples, 1 flags" in done.output
    assert count(db, Note, agent_id=record["sarah"]) == 0


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(datetime(2026, 3, 31, 12, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 12, tzinfo=UTC
    )
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def aged(db: str, model, row_id: int, when: datetime) -> None:
    with session_scope(db) as s:
        row = s.get(model, row_id)
        assert row is not None
        row.created_at = when


def test_retention_archives_then_erases(db, record, session):
    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    owner = f.viewer(session, "UOWNER")
    fresh = f.note(session, owner, record["other"], body="Fresh.").id
    old_sample = f.sample(session, record["other"]).id
    session.commit()
    aged(db, Note, record["kept"], datetime(2026, 3, 1, tzinfo=UTC))  # > 3 months: archive
    aged(db, Note, record["gone"], datetime(2026, 1, 1, tzinfo=UTC))  # > 4 months: erase
    aged(db, Note, fresh, datetime(2026, 3, 20, tzinfo=UTC))  # < 3 months: keep live
    aged(db, Sample, old_sample, datetime(2026, 2, 14, tzinfo=UTC))  # > 4 months: erase
    with session_scope(db) as s:
        report = apply_retention(session=s, months=3, now=now)
    assert (report.archived, report.erased_notes, report.erased_samples) == (1, 1, 1)
    with session_scope(db) as s:
        kept = s.get(Note, record["kept"])
        assert kept is not None and kept.archived_at == now
        assert s.get(Note, record["gone"]) is None and s.get(Sample, old_sample) is None
        live = s.get(Note, fresh)
        assert live is not None and live.archived_at is None
        entries = s.scalars(select(AuditEntry).where(AuditEntry.actor == "retention")).all()
        assert {e.action for e in entries} == {"retention.erase", "note.archive"}
        assert not s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "note", AuditEntry.entity_id == record["gone"]
            )
        ).all()
    with session_scope(db) as s:
        again = apply_retention(session=s, months=3, now=now)
    assert again.erased_notes == again.erased_samples == 0
    assert again.archived == 0


def test_a_note_retention_archives_sends_no_follow_up(db, record, session):
    now = utcnow()
    owner = f.viewer(session, "UOWNER")
    due = now + timedelta(days=30)
    old = f.note(session, owner, record["other"], body="Check in.", follow_up_at=due).id
    young = f.note(session, owner, record["other"], body="Check too.", follow_up_at=due).id
    session.commit()
    aged(db, Note, old, now - timedelta(days=100))  # past 3 months, not yet 4: archived
    with session_scope(db) as s:
        apply_retention(session=s, months=3, now=now)
    with session_scope(db) as s:
        status = dict(s.execute(select(Reminder.note_id, Reminder.status)).all())
    assert status[old] == ReminderStatus.CANCELLED  # archived: its follow-up is called off
    assert status[young] == ReminderStatus.PENDING


def test_retention_off_keeps_everything(db, record, settings):
    assert settings.retention_months == 0
    assert retention_job(Services(settings)).archived == 0
    assert count(db, Note) == 3


def test_retention_cli_and_schedule(run, db, record, settings, monkeypatch):
    assert "retention is off" in run("retention", "run").output
    aged(db, Note, record["kept"], utcnow() - timedelta(days=70))
    result = run("retention", "run", "--months", "2")
    assert result.exit_code == 0 and "archived 1 notes" in result.output
    monkeypatch.setenv("DEBRIEF_RETENTION_MONTHS", "1")
    assert "retention (1 months)" in run("retention", "run").output
    client = WebClient(token="xoxb-test", base_url=settings.slack_api_url)
    assert "retention" not in [
        j.id for j in build_scheduler(Services(settings, slack=client)).get_jobs()
    ]
    kept = build_scheduler(
        Services(settings.model_copy(update={"retention_months": 6}), slack=client)
    )
    job = kept.get_job("retention")
    assert job is not None and "hour='3'" in str(job.trigger)
