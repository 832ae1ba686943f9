"""A scan end to end: import with transcripts, flag, capture redacted summaries, DM the lead once."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from blocks.ids import ActionId, BlockId
from bot.ai import summaries
from bot.ai.engines import summarizer_for
from bot.ai.fallback import FallbackSummarizer
from bot.ai.local import LocalSummarizer
from bot.ai.offline import OfflineSummarizer
from bot.app.services import Services
from bot.app.slack import slack_client
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.flags.dms import deliver_flag
from bot.flags.scan import run_scan
from bot.ingest.importer import import_file
from handlers.notifier import SlackFlagNotifier
from models import AuditEntry, Base, Delivery, Flag, Sample
from tests import factories as f
from tests.fake_anthropic import FakeAnthropic
from tests.fake_openai import refused_url, text_reply
from tests.privacy import leaks, stored_texts

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
LAST_WEEK = datetime(2026, 11, 9, tzinfo=UTC)
SLIDE = [4.3] * 8 + [4.4, 4.1, 3.9, 3.6, 3.4, 3.1]
STEADY = [4.2] * 14
CUSTOMER = "Jane Roe"
EMAIL = "jane.roe@example.com"
PHONE = "+1 415 555 0134"
CARD = "4111 1111 1111 1111"
TRANSCRIPT = (
    f"Customer: Hi, this is {CUSTOMER}. My card {CARD} was charged twice for the March plan and I "
    f"need the duplicate refunded today.\nAgent: Sorry about that! I will refund it for you.\n"
    f"Customer: Can you confirm by email to {EMAIL} or call me on {PHONE}?\n"
    "Agent: Sure, it's done. Anything else?\nCustomer: No. Nothing arrived the last time either."
)


def write_history(path: Path) -> Path:
    fields = ["helpdesk", "external_id", "agent", "agent_email", "closed_at", "csat", "queue",
              "transcript", "customer_name", "customer_email"]  # fmt: skip
    n = 0
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for agent, email, means in [
            ("Becky Ortiz", "becky@example.com", SLIDE),
            ("Dan Lee", "dan@example.com", STEADY),
        ]:
            for i, mean in enumerate(means):
                week = LAST_WEEK - timedelta(weeks=len(means) - 1 - i)
                low, per_week = int(mean), 12
                highs = round((mean - low) * per_week)
                for k in range(per_week):
                    n += 1
                    score = min(5, low + 1) if k < highs else low
                    last = i == len(means) - 1
                    writer.writerow(
                        {
                            "helpdesk": "zendesk",
                            "external_id": str(5000 + n),
                            "agent": agent,
                            "agent_email": email,
                            "closed_at": (week + timedelta(hours=3 + 9 * k)).isoformat(),
                            "csat": str(score),
                            "queue": "Billing",
                            "transcript": TRANSCRIPT if last else "",
                            "customer_name": CUSTOMER if last else "",
                            "customer_email": EMAIL if last else "",
                        }
                    )
    return path


@pytest.fixture()
def world(settings: Settings, session, tmp_path, fake_slack):
    f.member(session, "ULEAD", "owner")
    f.member(session, "UADMIN", "admin")
    session.commit()
    for user in ("ULEAD", "UADMIN"):
        fake_slack.add_user(user)
    import_file(
        session_factory=partial(session_scope, settings.database_url),
        path=write_history(tmp_path / "h.csv"),
    )
    with session_scope(settings.database_url) as s:
        from bot.people.agents import upsert_agent

        upsert_agent(session=s, actor="test", name="Becky Ortiz", lead="ULEAD")
    return settings.model_copy(
        update={"chart_dir": str(tmp_path / "charts"), "zendesk_subdomain": "acme"}
    )


def scan(settings: Settings, fake_slack, summarizer=None):
    notifier = SlackFlagNotifier(slack_client(settings, fake_slack.token))
    return run_scan(
        session_factory=Services(settings).sessions,
        settings=settings,
        summarizer=summarizer or OfflineSummarizer(),
        notifier=notifier,
        now=NOW,
    )


def dms(fake_slack):
    return [c for c in fake_slack.calls_to("chat.postMessage") if c.response.get("ok")]


def test_scan_flags_captures_and_dms_the_lead_once(world, fake_slack, tmp_path):
    report = scan(world, fake_slack)
    assert len(report.outcome.raised) == 1 and report.dms_sent == 1
    [dm] = dms(fake_slack)
    assert (
        dm.args["channel"] == fake_slack.calls_to("conversations.open")[0].response["channel"]["id"]
    )
    assert fake_slack.calls_to("conversations.open")[0].args["users"] == "ULEAD"
    assert dm.args["metadata"]["event_payload"]["flag_id"] == report.outcome.raised[0]
    blocks = json.dumps(dm.args["blocks"], ensure_ascii=False)
    assert "Becky Ortiz" in blocks and "CSAT 4.3" in blocks and "ratings" in blocks
    image = next(b for b in dm.args["blocks"] if b["type"] == "image")
    assert fake_slack.files[image["slack_file"]["id"]]["content"].startswith(b"\x89PNG")
    buttons = next(b for b in dm.args["blocks"] if b.get("block_id") == BlockId.FLAG_ACTIONS)[
        "elements"
    ]
    assert [b["action_id"] for b in buttons] == [ActionId.COACH_OPEN, ActionId.FLAG_DISMISS]
    assert (tmp_path / "charts" / f"flag-{report.outcome.raised[0]}.png").exists()
    again = scan(world, fake_slack)
    assert again.outcome.raised == [] and again.dms_sent == 0 and len(dms(fake_slack)) == 1


def test_samples_are_the_worst_of_the_last_week_redacted_and_linked(world, fake_slack):
    report = scan(world, fake_slack)
    assert report.captured[report.outcome.raised[0]] == 12
    with session_scope(world.database_url) as s:
        samples = s.scalars(select(Sample)).all()
    assert len(samples) == 12
    for sample in samples:
        assert sample.closed_at is not None and sample.closed_at >= LAST_WEEK
        assert sample.url == f"https://acme.zendesk.com/agent/tickets/{sample.external_id}"
        assert sample.summary.startswith("Offline summary") and sample.engine == "offline"
        for secret in (CUSTOMER, "Jane", "Roe", EMAIL, PHONE, CARD, "4111", "555 0134"):
            assert secret not in sample.summary
    assert max(s.csat or 0 for s in samples) <= 4


def test_each_captured_sample_has_an_audit_entry_without_its_summary(world, fake_slack):
    report = scan(world, fake_slack)
    flag_id = report.outcome.raised[0]
    with session_scope(world.database_url) as s:
        samples = {sample.id: sample for sample in s.scalars(select(Sample))}
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "sample.capture")).all()
    assert entries and samples
    ids = [e.entity_id for e in entries if e.entity_id is not None]
    assert sorted(ids) == sorted(samples) and len(ids) == len(entries)
    for entry in entries:
        assert entry.entity_id is not None
        sample = samples[entry.entity_id]
        assert entry.actor == "scan" and entry.entity == "sample" and entry.after is not None
        assert entry.after["external_id"] == sample.external_id
        assert entry.after["flag_id"] == flag_id and entry.after["source"] == "auto"
        assert entry.after["summarizer"] == "offline"
        assert sample.summary not in json.dumps(entry.after)
    scan(world, fake_slack)  # nothing new captured: no new entries
    with session_scope(world.database_url) as s:
        again = s.scalars(select(AuditEntry).where(AuditEntry.action == "sample.capture")).all()
    assert len(again) == len(entries)


def test_a_dm_sent_before_a_crash_is_found_not_sent_again(world, fake_slack):
    [flag_id] = scan(world, fake_slack).outcome.raised
    with session_scope(world.database_url) as s:  # as if the process died before recording it
        s.execute(update(Delivery).values(sent_at=None, claimed_at=NOW - timedelta(hours=1)))
    notifier = SlackFlagNotifier(slack_client(world, fake_slack.token))
    factory = partial(session_scope, world.database_url)
    assert (
        deliver_flag(
            session_factory=factory, notifier=notifier, flag_id=flag_id, window_days=7, now=NOW
        )
        == 0
    )
    history = fake_slack.calls_to("conversations.history")
    assert history and history[-1].args["include_all_metadata"] in (True, "true", "1", 1)
    assert len(dms(fake_slack)) == 1
    with session_scope(world.database_url) as s:
        assert s.scalars(select(Delivery.sent_at)).one() is not None


def test_a_fresh_claim_blocks_a_second_sender(world, fake_slack):
    [flag_id] = scan(world, fake_slack).outcome.raised
    with session_scope(world.database_url) as s:  # another process is sending right now
        s.execute(update(Delivery).values(sent_at=None, claimed_at=NOW))
    notifier = SlackFlagNotifier(slack_client(world, fake_slack.token))
    factory = partial(session_scope, world.database_url)
    assert (
        deliver_flag(
            session_factory=factory, notifier=notifier, flag_id=flag_id, window_days=7, now=NOW
        )
        == 0
    )
    assert len(dms(fake_slack)) == 1
    assert fake_slack.calls_to("conversations.history") == []  # it didn't even look
    assert len(fake_slack.calls_to("conversations.open")) == 1
    with session_scope(world.database_url) as s:
        assert s.scalars(select(Delivery.sent_at)).one() is None  # still the other sender's


def test_without_a_lead_every_owner_and_admin_gets_the_dm(world, fake_slack):
    with session_scope(world.database_url) as s:
        s.execute(text("UPDATE agents SET lead_member_id = NULL"))
    scan(world, fake_slack)
    opened = sorted(c.args["users"] for c in fake_slack.calls_to("conversations.open"))
    assert opened == ["UADMIN", "ULEAD"] and len(dms(fake_slack)) == 2


def test_claude_summaries_are_redacted_cached_and_retried(world, fake_slack, monkeypatch):
    fake = FakeAnthropic().start()
    try:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        fake.reply = lambda _req: {
            "content": [
                {
                    "type": "text",
                    "text": f"{CUSTOMER} wanted a refund. The agent promised one. It never came.",
                }
            ]
        }
        fake.fail_next(529, times=2)
        summarizer = summarizer_for(world.model_copy(update={"anthropic_api_key": "sk-test"}))
        scan(world, fake_slack, summarizer)
        sent = json.dumps(fake.requests)
        for secret in (CUSTOMER, EMAIL, PHONE, CARD):
            assert secret not in sent
        first = fake.requests[0]
        assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
        assert (
            "[NAME]" in first["messages"][0]["content"]
            or "[CARD]" in first["messages"][0]["content"]
        )
        with session_scope(world.database_url) as s:
            summaries = s.scalars(select(Sample.summary)).all()
            engines = set(s.scalars(select(Sample.engine)))
        assert engines == {f"claude:{world.model}"}
        assert all(CUSTOMER not in x and "[NAME] wanted a refund" in x for x in summaries)
    finally:
        fake.stop()


def test_when_claude_keeps_failing_the_summary_says_so(world, fake_slack, monkeypatch):
    fake = FakeAnthropic().start()
    try:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        fake.fail_next(500, times=1000)
        summarizer = summarizer_for(world.model_copy(update={"anthropic_api_key": "sk-test"}))
        scan(world, fake_slack, summarizer)
        with session_scope(world.database_url) as s:
            summaries = s.scalars(select(Sample.summary)).all()
        assert summaries and all("the AI engine failed" in x for x in summaries)
    finally:
        fake.stop()


def test_local_model_summaries_are_redacted_retried_and_named(world, fake_slack, fake_openai):
    fake_openai.reply = text_reply(
        f"{CUSTOMER} wanted a refund. The agent promised one. It never came."
    )
    fake_openai.fail_next(429, times=1)
    local = world.model_copy(update={"llm_base_url": fake_openai.url, "llm_model": "llama3.1"})
    report = scan(world, fake_slack, summarizer_for(local))
    assert report.captured[report.outcome.raised[0]] == 12 and report.dms_sent == 1
    assert len(fake_openai.requests) == 13  # one summary a sample, one asked again after a 429
    for secret in (CUSTOMER, EMAIL, PHONE, CARD):
        assert secret not in fake_openai.sent
    system, user = fake_openai.requests[0]["messages"]
    assert system == {"role": "system", "content": summaries.SYSTEM_PROMPT}
    assert user["role"] == "user" and "[CARD]" in user["content"]
    with session_scope(world.database_url) as s:
        stored = s.scalars(select(Sample.summary)).all()
        engines = set(s.scalars(select(Sample.engine)))
        captures = s.scalars(select(AuditEntry).where(AuditEntry.action == "sample.capture"))
        audited = {e.after["summarizer"] for e in captures if e.after}
    assert engines == audited == {"local:llama3.1"}
    assert len(stored) == 12 and all(x.startswith("[NAME] wanted a refund") for x in stored)


def test_when_the_local_model_is_down_the_summaries_say_so(world, fake_slack):
    with refused_url() as url:
        summarizer = FallbackSummarizer(LocalSummarizer(base_url=url, model="m", max_retries=0))
        report = scan(world, fake_slack, summarizer)
    assert report.captured[report.outcome.raised[0]] == 12 and report.dms_sent == 1
    with session_scope(world.database_url) as s:
        stored = s.scalars(select(Sample.summary)).all()
    assert len(stored) == 12
    assert all(
        x.startswith("Offline summary (the AI engine failed: APIConnectionError).") for x in stored
    )
    assert not any(secret in x for x in stored for secret in (CUSTOMER, EMAIL, PHONE, CARD))


def test_no_table_holds_a_transcript_or_customer_details(world, fake_slack):
    scan(world, fake_slack)
    rows: list[str] = []
    with session_scope(world.database_url) as s:
        for table in Base.metadata.sorted_tables:
            rows.extend(json.dumps(list(r), default=str) for r in s.execute(table.select()))
    texts = stored_texts(world.database_url)
    words = (CUSTOMER, "Jane", "Roe", EMAIL, PHONE, "555 0134", "415 555")
    assert leaks(texts, words, CARD) == []
    everything = "\n".join(texts)
    turns = [line.split(": ", 1)[1] for line in TRANSCRIPT.splitlines()]
    fragments = [part.strip() for turn in turns for part in re.split(r"(?<=[.!?])\s+", turn)]
    fragments = [frag[-30:] for frag in fragments if len(frag) > 30]
    for row in rows:  # a summary may quote one (redacted) sentence, never a stretch of dialogue
        assert sum(frag in row for frag in fragments) <= 1, row
    assert not any(turn in everything for turn in turns if len(turn) > 60)


def test_dismissing_from_the_dm_keeps_the_reason_and_updates_it(world, fake_slack, slack):
    [flag_id] = scan(world, fake_slack).outcome.raised
    [dm] = dms(fake_slack)
    message = {"blocks": dm.args["blocks"], "ts": dm.response["ts"]}
    payload = {
        "type": "block_actions",
        "user": {"id": "ULEAD"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": fake_slack.issue_trigger(),
        "container": {
            "type": "message",
            "channel_id": dm.response["channel"],
            "message_ts": dm.response["ts"],
        },
        "channel": {"id": dm.response["channel"]},
        "message": message,
        "response_url": fake_slack.response_url(),
        "actions": [
            {
                "action_id": ActionId.FLAG_DISMISS,
                "value": str(flag_id),
                "type": "button",
                "block_id": "b",
            }
        ],
    }
    slack.payload(payload)
    [opened] = fake_slack.calls_to("views.open")
    modal = fake_slack.views[opened.response["view"]["id"]]
    assert modal["title"]["text"] == "Dismiss flag"
    values = {BlockId.DISMISS_REASON: {ActionId.DISMISS_REASON: {"type": "radio_buttons", "selected_option": {"value": "outage"}}},
              BlockId.DISMISS_NOTE: {ActionId.DISMISS_NOTE: {"type": "plain_text_input", "value": "Billing outage on the 12th"}}}  # fmt: skip
    answer = slack.payload(
        {
            "type": "view_submission",
            "user": {"id": "ULEAD"},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "trigger_id": fake_slack.issue_trigger(),
            "view": {**modal, "state": {"values": values}},
        }
    )
    assert answer.status_code == 200 and not answer.content
    [updated] = fake_slack.calls_to("chat.update")
    shown = json.dumps(updated.args["blocks"])
    assert "Dismissed by <@ULEAD>: Known outage or incident: Billing outage on the 12th" in shown
    assert ActionId.FLAG_DISMISS not in shown
    with session_scope(world.database_url) as s:
        flag = s.get(Flag, flag_id)
        assert flag is not None and flag.dismissed_by == "ULEAD"


def test_a_lead_slack_refuses_does_not_stop_the_other_dms(world, fake_slack):
    with session_scope(world.database_url) as s:
        s.execute(text("UPDATE agents SET lead_member_id = NULL"))
    fake_slack.fail_next("conversations.open", error="user_disabled")
    report = scan(world, fake_slack)
    assert report.dms_sent == 1 and len(dms(fake_slack)) == 1
    with session_scope(world.database_url) as s:
        pending = s.scalars(select(Delivery.recipient).where(Delivery.sent_at.is_(None))).all()
    assert len(pending) == 1  # the refused one waits for its lease, then is tried again
    later = NOW + timedelta(minutes=10)
    again = run_scan(
        session_factory=Services(world).sessions,
        settings=world,
        summarizer=OfflineSummarizer(),
        notifier=SlackFlagNotifier(slack_client(world, fake_slack.token)),
        now=later,
    )
    assert again.dms_sent == 1 and len(dms(fake_slack)) == 2
