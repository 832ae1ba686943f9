"""The Help Scout connector against a fake Help Scout Mailbox API 2.0, and syncs through it
(its settings and a sync then scan end to end: test_helpscout_wiring.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

import bot.ingest.helpdesks.helpscout as helpscout_module
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.ingest.helpdesks.helpscout import AUTH_HINT, HelpScoutHelpdesk
from bot.ingest.sync import OVERLAP, sync_helpdesks
from models import Conversation, SyncRun
from tests.helpdesks.fake_helpscout import (
    APP_ID,
    APP_SECRET,
    FakeHelpScout,
    customer,
    iso,
    user,
)

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
RATINGS = "/v2/reports/happiness/ratings"
TOKEN = "/v2/oauth2/token"

pytestmark = pytest.mark.usefixtures("no_cached_tokens")


class Clock:
    """A settable clock for the connector and the fake (token expiry, the sync's end)."""

    def __init__(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture()
def hs_fake(httpserver: HTTPServer, clock: Clock) -> FakeHelpScout:
    """A fake Help Scout with one mailbox and no data yet."""
    fake = FakeHelpScout(httpserver, clock=clock)
    fake.mailboxes = {1: "Billing"}
    return fake.install()


def connect(fake: FakeHelpScout, sleeps: list[float], clock: Clock, **kwargs: Any):
    return HelpScoutHelpdesk(
        app_id=kwargs.pop("app_id", APP_ID),
        app_secret=kwargs.pop("app_secret", APP_SECRET),
        base_url=fake.base_url,
        sleep=sleeps.append,
        clock=clock,
        **kwargs,
    )


@pytest.fixture()
def helpscout(
    hs_fake: FakeHelpScout, sleeps: list[float], clock: Clock
) -> Iterator[HelpScoutHelpdesk]:
    """A Help Scout connector with the fake's app id and secret."""
    connector = connect(hs_fake, sleeps, clock)
    yield connector
    connector.close()


def _team(fake: FakeHelpScout) -> None:
    fake.add_user(69013, "Amanda", "Herrington", "amanda@acme.test")
    fake.add_user(19, "Denny", "Matthews", "denny@acme.test")


def at(hours: float) -> datetime:
    return SINCE + timedelta(hours=hours)


# ratings


def test_ratings_are_read_page_by_page_oldest_first_with_fields_mapped(hs_fake, helpscout):
    _team(hs_fake)
    hs_fake.mailboxes = {1: "Billing", 2: "Returns"}
    for n in range(23):  # three pages of ten in Billing, served newest conversation first
        hs_fake.add_rating(4000 + n, "great", user_id=[69013, 19][n % 2], at=at(1 + n), mailbox=1)
    hs_fake.add_rating(
        432207336, "not good", user_id=69013, at=at(0.5), mailbox=2, comments="Slow."
    )
    hs_fake.add_rating(5, "okay", user_id=19, at=SINCE - timedelta(seconds=1))  # too early

    records = list(helpscout.ratings_since(SINCE))

    assert len(records) == 24
    assert [r.rated_at for r in records] == sorted(r.rated_at for r in records)
    assert records[0] == RatingRecord(
        helpdesk="helpscout",
        external_id="432207336",
        agent_name="Amanda Herrington",
        agent_email="amanda@acme.test",
        closed_at=at(0.5),
        csat=1.0,
        queue="Returns",
        tags=(),
        url=None,
        rated_at=at(0.5),
    )
    assert records[1].external_id == "4000" and records[1].queue == "Billing"
    assert records[2].agent_name == "Denny Matthews"
    assert records[2].agent_email == "denny@acme.test"
    calls = hs_fake.calls(RATINGS)
    billing = [c.args for c in calls if c.args.get("mailboxes") == "1"]
    assert [a.get("page") for a in billing] == [None, "2", "3"]
    assert billing[0]["start"] == "2026-11-16T00:00:00Z"
    assert billing[0]["end"] == "2026-11-18T12:00:00Z"
    assert billing[0]["rating"] == "all"
    assert [c.args.get("mailboxes") for c in calls] == ["1", "2", "1", "1"]
    assert len(hs_fake.calls("/v2/mailboxes")) == 1


def test_great_okay_and_not_good_map_to_5_3_and_1_and_other_ratings_are_skipped(
    hs_fake, helpscout, caplog
):
    _team(hs_fake)
    hs_fake.add_rating(1, "great", user_id=19, at=at(1))
    hs_fake.add_rating(2, "okay", user_id=19, at=at(2))
    hs_fake.add_rating(3, "not good", user_id=19, at=at(3))
    hs_fake.add_rating(4, "great", user_id=19, at=at(4), rating_id=0)  # no rating given

    with caplog.at_level(logging.INFO, logger="bot.helpdesks.helpscout"):
        records = list(helpscout.ratings_since(SINCE))

    assert [(r.external_id, r.csat) for r in records] == [("1", 5.0), ("2", 3.0), ("3", 1.0)]
    assert "conversation 4: rating 0 is not a CSAT; skipped" in caplog.text


def test_users_are_listed_once_across_pages_and_others_looked_up_alone(hs_fake, helpscout):
    for n in range(60):  # two pages of fifty; the next link names api.helpscout.net
        hs_fake.add_user(100 + n, "Agent", f"N{n}", f"a{n}@acme.test")
    hs_fake.add_user(900, "Former", "Agent", "former@acme.test", listed=False)
    hs_fake.add_rating(1, "great", user_id=159, at=at(1))
    hs_fake.add_rating(2, "okay", user_id=900, at=at(2))
    hs_fake.add_rating(3, "okay", user_id=404, user_name="Gone Person", at=at(3))
    hs_fake.add_rating(4, "great", user_id=None, at=at(4))  # nobody to credit: skipped
    hs_fake.add_rating(5, "great", user_id=100, at=at(5))

    records = list(helpscout.ratings_since(SINCE))

    assert [(r.agent_name, r.agent_email) for r in records] == [
        ("Agent N59", "a59@acme.test"),
        ("Former Agent", "former@acme.test"),
        ("Gone Person", None),
        ("Agent N0", "a0@acme.test"),
    ]
    assert [c.args.get("page") for c in hs_fake.calls("/v2/users")] == [None, "2"]
    assert len(hs_fake.calls("/v2/users/900")) == 1
    assert len(hs_fake.calls("/v2/users/404")) == 1


def test_long_spans_are_read_a_week_at_a_time(hs_fake, helpscout):
    _team(hs_fake)
    since = NOW - timedelta(days=17, hours=6)
    for day in range(17):
        hs_fake.add_rating(700 + day, "great", user_id=19, at=since + timedelta(days=day, hours=1))

    records = list(helpscout.ratings_since(since))

    assert [r.external_id for r in records] == [str(700 + d) for d in range(17)]
    spans = [(c.args["start"], c.args["end"]) for c in hs_fake.calls(RATINGS)]
    assert spans == [
        ("2026-11-01T06:00:00Z", "2026-11-08T06:00:00Z"),
        ("2026-11-08T06:00:00Z", "2026-11-15T06:00:00Z"),
        ("2026-11-15T06:00:00Z", "2026-11-18T12:00:00Z"),
    ]


def test_a_window_with_too_many_ratings_is_halved_and_stays_in_order(
    hs_fake, helpscout, monkeypatch
):
    monkeypatch.setattr(helpscout_module, "MAX_WINDOW", 8)
    _team(hs_fake)
    for n in range(20):
        hs_fake.add_rating(n, "great" if n % 3 else "okay", user_id=19, at=at(0.2 + 2.3 * n))

    records = list(helpscout.ratings_since(SINCE))

    assert [r.external_id for r in records] == [str(n) for n in range(20)]
    firsts = [c.args for c in hs_fake.calls(RATINGS) if "page" not in c.args]
    assert firsts[0]["end"] == "2026-11-18T12:00:00Z"  # 20 > 8: halved...
    assert firsts[1]["end"] == "2026-11-17T06:00:00Z"  # ...and halved again
    assert all(
        r.rated_at and SINCE <= r.rated_at <= NOW and r.rated_at == r.closed_at for r in records
    )


# auth


def test_one_token_serves_every_request_and_every_connector(hs_fake, sleeps, clock):
    _team(hs_fake)
    hs_fake.add_rating(1, "great", user_id=19, at=at(1))
    for _ in range(2):
        connector = connect(hs_fake, sleeps, clock)
        assert len(list(connector.ratings_since(SINCE))) == 1
        connector.close()

    [grant] = hs_fake.calls(TOKEN)
    assert dict(grant.form) == {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
    }
    bearer = {c.headers["Authorization"] for c in hs_fake.calls(RATINGS)}
    assert bearer == {f"Bearer {token}" for token in hs_fake.tokens}  # the one token issued


def test_the_token_is_renewed_before_it_expires(hs_fake, helpscout, clock):
    _team(hs_fake)
    hs_fake.add_rating(1, "great", user_id=19, at=at(1))
    list(helpscout.ratings_since(SINCE))
    clock.now += 172_800 - 30  # inside the last minute of the token's two days

    list(helpscout.ratings_since(SINCE))

    assert len(hs_fake.calls(TOKEN)) == 2


def test_a_401_for_an_expired_token_gets_a_new_token_and_one_retry(hs_fake, helpscout):
    _team(hs_fake)
    hs_fake.add_rating(1, "great", user_id=19, at=at(1))
    list(helpscout.ratings_since(SINCE))
    hs_fake.expire_tokens()  # revoked or expired early: the API answers 401

    assert [r.external_id for r in helpscout.ratings_since(SINCE)] == ["1"]
    assert len(hs_fake.calls(TOKEN)) == 2


@pytest.mark.parametrize("secret", ["wrong-secret", None])
def test_wrong_credentials_are_one_line_naming_the_settings(hs_fake, sleeps, clock, secret):
    if secret is None:  # the documented shape of a refused grant: 400 invalid_request
        hs_fake.server.expect_oneshot_request(TOKEN, method="POST").respond_with_json(
            {"error_description": "Invalid client", "error": "invalid_request"}, status=400
        )
    connector = connect(hs_fake, sleeps, clock, app_secret=secret or APP_SECRET)
    with pytest.raises(HelpdeskAuthError) as caught:
        list(connector.ratings_since(SINCE))
    connector.close()
    assert str(caught.value) == AUTH_HINT
    assert "\n" not in AUTH_HINT and "DEBRIEF_HELPSCOUT_APP_SECRET" in AUTH_HINT
    assert hs_fake.calls(RATINGS) == [] and sleeps == []


def test_a_base_url_that_is_not_help_scout_names_that_setting(hs_fake, helpscout):
    hs_fake.server.expect_oneshot_request(TOKEN, method="POST").respond_with_data(
        "<html>Not Found</html>", status=404, content_type="text/html"
    )
    with pytest.raises(HelpdeskError, match="check DEBRIEF_HELPSCOUT_BASE_URL") as caught:
        list(helpscout.ratings_since(SINCE))
    assert not isinstance(caught.value, HelpdeskAuthError | HelpdeskNotFound)


def test_a_plan_without_reports_is_refused_naming_the_settings(hs_fake, helpscout):
    hs_fake.reports_plan = False
    with pytest.raises(HelpdeskAuthError, match="Plus or Pro plan"):
        list(helpscout.ratings_since(SINCE))
    assert len(hs_fake.calls(TOKEN)) == 1  # a 403 is not an expired token


# rate limits and failures


def test_429_waits_what_x_ratelimit_retry_after_says(hs_fake, helpscout, sleeps):
    _team(hs_fake)
    hs_fake.add_rating(1, "great", user_id=19, at=at(1))
    hs_fake.rate_limit(retry_after=7, times=2)

    assert [r.external_id for r in helpscout.ratings_since(SINCE)] == ["1"]
    assert sleeps == [7.0, 7.0]
    limited = [r for _, r in hs_fake.server.log if r.status_code == 429]
    assert limited[0].headers["X-RateLimit-Remaining-Minute"] == "0"


def test_a_rate_limited_token_request_is_waited_out_too(hs_fake, helpscout, sleeps):
    hs_fake.server.expect_oneshot_request(TOKEN, method="POST").respond_with_json(
        {"message": "API rate limit exceeded"}, status=429, headers={"X-RateLimit-Retry-After": "3"}
    )
    assert list(helpscout.ratings_since(SINCE)) == []
    assert sleeps == [3.0] and len(hs_fake.calls(TOKEN)) == 2


def test_persistent_5xx_is_unavailable(hs_fake, helpscout, sleeps):
    hs_fake.fail(RATINGS, 503)
    with pytest.raises(HelpdeskUnavailable, match="Help Scout is unavailable: HTTP 503"):
        list(helpscout.ratings_since(SINCE))
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


# transcripts

DANA = customer("Dana", "Whitfield", "dana@example.com", customer_id=77)
MARK = user("Mark", "Strong", "mark@acme.test")


def _conversation(fake: FakeHelpScout) -> None:
    t0 = NOW - timedelta(days=1)
    steps = [
        ("customer", "<p>My card was charged <b>twice</b>.</p>", DANA, "published"),
        ("lineitem", None, MARK, "published"),
        ("message", "<p>Sorry &amp; thanks!</p><p>Refunding now.</p>", MARK, "published"),
        ("note", "<p>Internal: VIP, refund both?</p>", MARK, "published"),
        ("message", "<p>Draft never sent</p>", MARK, "draft"),
        ("chat", "<div>Is it done?</div>", DANA, "published"),
        ("message", "Done.<br>Anything else?", MARK, "published"),
    ]
    for n, (kind, body, by, state) in enumerate(steps):
        fake.add_thread(
            555, kind, body, by=by, customer=DANA, at=t0 + timedelta(minutes=n), state=state
        )


def test_transcript_is_oldest_first_html_stripped_notes_out_customer_found(hs_fake, helpscout):
    hs_fake.thread_page = 3  # three pages, newest first, linked on api.helpscout.net
    _conversation(hs_fake)

    transcript = helpscout.transcript("555")

    assert transcript == Transcript(
        text=(
            "Customer: My card was charged twice.\n"
            "Agent: Sorry & thanks! Refunding now.\n"
            "Customer: Is it done?\n"
            "Agent: Done. Anything else?\n"
        ),
        customer_name="Dana Whitfield",
        customer_email="dana@example.com",
    )
    pages = hs_fake.calls("/v2/conversations/555/threads")
    assert [p.args.get("page") for p in pages] == [None, "2", "3"]


def test_transcript_of_an_unknown_conversation_is_not_found(hs_fake, helpscout):
    with pytest.raises(HelpdeskNotFound, match="Help Scout has no conversation 999"):
        helpscout.transcript("999")
    with pytest.raises(HelpdeskNotFound):
        helpscout.transcript("../users")
    assert len(hs_fake.calls("/v2/conversations/999/threads")) == 1


# syncs


def test_debrief_sync_with_a_wrong_secret_exits_with_one_line_and_changes_nothing(
    db, hs_fake, tmp_path
):
    """Run as a user runs it (its own process, its own logging): one line, naming the setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBRIEF_", "SLACK_"))}
    env |= {
        "DATABASE_URL": db,
        "DEBRIEF_HELPSCOUT_APP_ID": APP_ID,
        "DEBRIEF_HELPSCOUT_APP_SECRET": "not-the-secret",
        "DEBRIEF_HELPSCOUT_BASE_URL": hs_fake.base_url,
    }
    hs_fake.add_user(19, "Denny", "Matthews", "denny@acme.test")
    hs_fake.add_rating(1, "great", user_id=19, at=datetime.now(UTC) - timedelta(days=1))
    debrief = "import sys; from bot.cli import main; sys.argv[0] = 'debrief'; main()"

    result = subprocess.run(
        [sys.executable, "-c", debrief, "sync"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [f"helpscout: failed: {AUTH_HINT}"]
    assert [r.path for r, _ in hs_fake.server.log] == [TOKEN]  # refused at the token
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0
        assert s.scalar(select(SyncRun.error)) == AUTH_HINT


def test_a_sync_that_fails_part_way_resumes_where_it_stopped(db, hs_fake, sleeps, monkeypatch):
    import bot.ingest.sync

    monkeypatch.setattr(bot.ingest.sync, "BATCH", 4)
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    hs_fake.clock = clock
    hs_fake.add_user(19, "Denny", "Matthews", "denny@acme.test")
    since = datetime.fromtimestamp(clock.now, tz=UTC) - timedelta(days=21)
    n = 0
    for week, count in enumerate([15, 18, 35]):  # the last week has four pages of ratings
        for k in range(count):
            n += 1
            moment = since + timedelta(weeks=week, hours=2 + 4 * k)
            hs_fake.add_rating(n, ["great", "okay", "not good"][k % 3], user_id=19, at=moment)
    hs_fake.fail(RATINGS, 503, page=3)  # only the last week has a page 3
    factory = partial(session_scope, db)
    settings = Settings(_env_file=None, DATABASE_URL=db)

    first = connect(hs_fake, sleeps, clock)
    report = sync_helpdesks(
        session_factory=factory, settings=settings, since=since, helpdesks=[first]
    )

    assert "HTTP 503" in report.failed["helpscout"] and len(sleeps) == 4
    with session_scope(db) as s:
        kept = s.scalar(select(func.count()).select_from(Conversation))
        reached = s.scalar(select(SyncRun.reached))
    assert kept == 32  # the first two weeks, in batches of four; nothing of the third
    assert reached == since + timedelta(weeks=1, hours=2 + 4 * 16)  # the 32nd: week 2's 17th
    hs_fake.failures.clear()
    hs_fake.server.clear_log()

    second = connect(hs_fake, sleeps, clock)
    report = sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[second])

    assert report.failed == {}
    resumed_from = hs_fake.calls(RATINGS)[0].args["start"]
    assert resumed_from == iso(reached - OVERLAP)  # not the first sync's start again
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == n
        assert s.scalar(select(func.max(Conversation.csat))) == 5.0


def test_a_sync_of_10000_ratings_by_200_agents_takes_about_a_request_per_ten(
    db, hs_fake, sleeps, monkeypatch
):
    """The report's pages hold ten ratings (its fixed size): the sync is ~1 request per 10."""
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    hs_fake.clock = clock
    for agent in range(200):
        hs_fake.add_user(1000 + agent, "Agent", f"No{agent}", f"agent{agent}@acme.test")
    start = datetime.fromtimestamp(clock.now, tz=UTC) - timedelta(weeks=16)
    for n in range(10_000):  # one every 16 weeks / 10,000 (967.68 s), never on a boundary
        moment = start + timedelta(seconds=37 + 967 * n)
        hs_fake.add_rating(
            10_000 + n, ["great", "okay", "not good"][n % 3], user_id=1000 + n % 200, at=moment
        )
    factory = partial(session_scope, db)
    settings = Settings(_env_file=None, DATABASE_URL=db)

    report = sync_helpdesks(
        session_factory=factory, settings=settings, helpdesks=[connect(hs_fake, sleeps, clock)]
    )

    requests = hs_fake.request_count()
    by_path = {
        path: len(hs_fake.calls(path)) for path in (TOKEN, "/v2/mailboxes", "/v2/users", RATINGS)
    }
    print(f"\n10,000 ratings, 200 agents, 16 weeks, 1 mailbox: {requests} requests {by_path}")
    assert report.pulled == {"helpscout": 10_000}
    assert by_path == {TOKEN: 1, "/v2/mailboxes": 1, "/v2/users": 4, RATINGS: requests - 6}
    assert by_path[RATINGS] <= 1000 + 17  # 1,000 full pages, plus a part-filled one a week
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 10_000
