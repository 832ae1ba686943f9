"""Scheduling: the jobs `serve` runs, one scan at a time, and the helpdesk sync's bookkeeping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, text

from bot.ai.offline import OfflineSummarizer
from bot.app.scheduler import build_scheduler
from bot.app.services import Services
from bot.core.db import get_engine, session_scope
from bot.flags.scan import SCAN_LOCK_KEY, run_scan, scan_lock
from bot.ingest.helpdesks import HelpdeskAuthError, HelpdeskUnavailable, RatingRecord, Transcript
from bot.ingest.sync import FIRST_SYNC, OVERLAP, sync_helpdesks
from models import Agent, Conversation, SyncRun
from models.base import utcnow


class StubHelpdesk:
    """A connector double (the HTTP connectors have their own tests against vendor fakes)."""

    def __init__(self, name: str, records: list[RatingRecord], fail: bool = False, *,
                 ordered: bool = False, fail_after: int | None = None) -> None:  # fmt: skip
        self.name, self.records, self.fail = name, records, fail
        self.ordered, self.fail_after = ordered, fail_after
        self.asked: list[datetime] = []
        self.closed = False

    def ratings_since(self, since: datetime) -> Any:
        self.asked.append(since)
        if self.fail:
            raise HelpdeskAuthError("Zendesk refused the credentials: check DEBRIEF_ZENDESK_EMAIL")
        for n, found in enumerate(self.records):
            if self.fail_after is not None and n == self.fail_after:
                raise HelpdeskUnavailable("Freshdesk kept failing (HTTP 503)")
            yield found

    def transcript(self, external_id: str) -> Transcript:
        return Transcript(text="")

    def close(self) -> None:
        self.closed = True


def record(
    ext: str, agent: str = "Sarah Connor", email: str | None = "sarah@example.com"
) -> RatingRecord:
    return RatingRecord(
        helpdesk="zendesk",
        external_id=ext,
        agent_name=agent,
        agent_email=email,
        closed_at=datetime(2026, 11, 10, tzinfo=UTC),
        csat=5.0,
        queue="Billing",
        tags=("refund", "vip"),
    )


def test_the_scheduler_runs_reminders_the_daily_scan_and_the_sync_only_when_configured(settings):
    client = WebClient(token="xoxb-test", base_url=settings.slack_api_url)
    plain = build_scheduler(
        Services(settings.model_copy(update={"scan_time": "07:30"}), slack=client)
    )
    assert sorted(job.id for job in plain.get_jobs()) == [
        "agent_side",
        "digest",
        "qa_review",
        "qa_run",
        "reminders",
        "scan",
    ]
    assert "hour='7'" in str(plain.get_job("scan").trigger) and "minute='30'" in str(
        plain.get_job("scan").trigger
    )
    synced = build_scheduler(
        Services(settings.model_copy(update={"intercom_token": "tok"}), slack=client)
    )
    assert sorted(job.id for job in synced.get_jobs()) == [
        "agent_side",
        "digest",
        "qa_review",
        "qa_run",
        "reminders",
        "scan",
        "sync",
    ]
    kept = build_scheduler(
        Services(settings.model_copy(update={"retention_months": 12}), slack=client)
    )
    assert "retention" in [job.id for job in kept.get_jobs()]


def test_sync_upserts_ratings_and_resumes_with_an_overlap(settings, session):
    factory = partial(session_scope, settings.database_url)
    first = StubHelpdesk("zendesk", [record("1"), record("2", agent="New Person", email=None)])
    report = sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[first])
    assert report.pulled == {"zendesk": 2} and first.closed
    with session_scope(settings.database_url) as s:
        convs = s.scalars(select(Conversation).order_by(Conversation.external_id)).all()
        assert [c.tags for c in convs] == ["refund;vip", "refund;vip"]
        assert sorted(s.scalars(select(Agent.name))) == ["New Person", "Sarah Connor"]
        started = s.scalars(select(SyncRun.started_at)).one()
    second = StubHelpdesk("zendesk", [replace(record("1"), csat=2.0)])  # the rating changed
    sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[second])
    assert second.asked == [started - OVERLAP]
    with session_scope(settings.database_url) as s:
        assert len(s.scalars(select(Conversation)).all()) == 2
        changed = s.scalar(select(Conversation.csat).where(Conversation.external_id == "1"))
        assert changed == 2.0


def test_a_failing_helpdesk_is_reported_and_does_not_stop_the_others(settings):
    factory = partial(session_scope, settings.database_url)
    broken, fine = StubHelpdesk("zendesk", [], fail=True), StubHelpdesk("intercom", [])
    report = sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[broken, fine])
    assert "check DEBRIEF_ZENDESK_EMAIL" in report.failed["zendesk"] and report.pulled == {
        "intercom": 0
    }
    with session_scope(settings.database_url) as s:
        errors = {
            row.helpdesk: row.error for row in s.execute(select(SyncRun.helpdesk, SyncRun.error))
        }
    assert errors["intercom"] is None and "refused" in (errors["zendesk"] or "")
    retry = StubHelpdesk("zendesk", [])
    sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[retry])
    # the failed run is no point to resume from: the retry reaches back as a first sync does
    assert retry.asked[0] <= utcnow() - FIRST_SYNC + timedelta(minutes=1)


def test_only_one_scan_runs_at_a_time(settings, db):
    with scan_lock(db) as first:
        assert first
        with scan_lock(db) as second:
            assert not second
        report = run_scan(
            session_factory=Services(settings).sessions,
            settings=settings,
            summarizer=OfflineSummarizer(),
            notifier=None,
        )
        assert report.locked_out
    if db.startswith("postgresql"):  # another process holding the advisory lock
        with get_engine(db).connect() as other:
            other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCAN_LOCK_KEY})
            try:
                assert run_scan(
                    session_factory=Services(settings).sessions,
                    settings=settings,
                    summarizer=OfflineSummarizer(),
                    notifier=None,
                ).locked_out
            finally:
                other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCAN_LOCK_KEY})
                other.commit()
    assert not run_scan(
        session_factory=Services(settings).sessions,
        settings=settings,
        summarizer=OfflineSummarizer(),
        notifier=None,
    ).locked_out


@pytest.mark.parametrize("bad", ["25:00", "7am"])
def test_a_bad_scan_time_is_refused(bad, monkeypatch):
    from bot.core.settings import SettingsError, load_settings

    monkeypatch.setenv("DEBRIEF_SCAN_TIME", bad)
    with pytest.raises(SettingsError, match="DEBRIEF_SCAN_TIME"):
        load_settings()


def test_a_sync_that_fails_part_way_resumes_from_the_last_rating_it_kept(settings, monkeypatch):
    import bot.ingest.sync

    monkeypatch.setattr(bot.ingest.sync, "BATCH", 2)
    factory = partial(session_scope, settings.database_url)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rated = [replace(record(str(n)), helpdesk="freshdesk", rated_at=start + timedelta(hours=n))
             for n in range(8)]  # fmt: skip
    failing = StubHelpdesk("freshdesk", rated, ordered=True, fail_after=5)
    report = sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[failing])
    assert "kept failing" in report.failed["freshdesk"]
    with session_scope(settings.database_url) as s:
        kept = sorted(s.scalars(select(Conversation.external_id)))
        reached = s.scalar(select(SyncRun.reached))
    assert kept == ["0", "1", "2", "3"]  # two batches of two were kept; the fifth was in flight
    assert reached == start + timedelta(hours=3)
    resumed = StubHelpdesk("freshdesk", rated[4:], ordered=True)
    sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[resumed])
    assert resumed.asked == [start + timedelta(hours=3) - OVERLAP]  # not the first sync's reach
    with session_scope(settings.database_url) as s:
        assert len(s.scalars(select(Conversation)).all()) == 8
    with session_scope(settings.database_url) as s:
        [good] = s.scalars(select(SyncRun.started_at).where(SyncRun.error.is_(None))).all()
    again = StubHelpdesk("freshdesk", [], ordered=True)
    sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[again])
    assert again.asked == [good - OVERLAP]  # a good run covers all up to its start
