"""Follow-up reminders: due once per follow-up, claimed atomically, sent exactly once, paced."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import Integer, String, cast, exists, select, update
from sqlalchemy.orm import Session

from bot.core import deliveries
from bot.core.deliveries import Outcome
from bot.core.text import clip
from bot.privacy.redaction import redact
from models import Agent, Delivery, DeliveryKind, Note, Reminder, ReminderStatus
from models.base import utcnow

log = logging.getLogger("bot.reminders")

LEASE = timedelta(minutes=10)
KIND = DeliveryKind.REMINDER.value
LATE_AFTER = timedelta(minutes=15)
EXCERPT = 200


def reschedule(*, session: Session, note: Note) -> None:
    """Make the note's pending reminder match its follow-up: cancel, replace or leave it."""
    pending = list(
        session.scalars(
            select(Reminder).where(
                Reminder.note_id == note.id, Reminder.status == ReminderStatus.PENDING
            )
        )
    )
    wanted = (
        note.follow_up_at if note.archived_at is None and note.follow_up_done_at is None else None
    )
    for reminder in pending:
        if wanted is not None and reminder.due_at == wanted:
            return  # already scheduled (or being sent) for exactly this time
        reminder.status = ReminderStatus.CANCELLED  # a send under way checks this before posting
    if wanted is not None:
        session.add(Reminder(note_id=note.id, author=note.author, due_at=wanted))
    session.flush()


def cancel_for_notes(*, session: Session, note_ids: list[int]) -> None:
    """Cancel the pending reminders of notes archived in bulk (one statement)."""
    if note_ids:
        session.execute(
            update(Reminder)
            .where(Reminder.note_id.in_(note_ids), Reminder.status == ReminderStatus.PENDING)
            .values(status=ReminderStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )


def claim_due(
    *, session: Session, now: datetime, limit: int = 500, lease: timedelta = LEASE
) -> tuple[str, list[int]]:
    """Atomically claim due reminders (and ones whose claim expired); returns (token, ids).

    Each due reminder gets its delivery row, then up to `limit` of them are claimed in one
    statement under one token. On PostgreSQL the candidates are locked FOR UPDATE SKIP LOCKED,
    so processes never claim the same row; SQLite has a single writer. A row claimed before
    and never confirmed is marked to have its DM's history checked before it is sent again.
    A claim older than ``lease`` counts as abandoned: the lease must outlast a send_due pass.
    """
    due = (Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now)
    deliveries.add_missing(
        session,
        kind=KIND,
        wanted=select(cast(Reminder.id, String(64)), Reminder.author)
        .where(*due)
        .where(~exists().where(_delivery_of(Reminder.id))),
    )
    ids = (
        select(Delivery.id)
        .join(Reminder, _joined())
        .where(*due, *deliveries.claimable(now, lease))
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True, of=Delivery)
    claims = deliveries.claim_rows(session, ids=ids, now=now)
    token = claims[0].token if claims else secrets.token_hex(8)
    return token, sorted(int(c.subject) for c in claims)


def _delivery_of(reminder_id: Any) -> Any:
    return (Delivery.kind == KIND) & (Delivery.subject == cast(reminder_id, String(64)))


def _joined() -> Any:
    """Reminders with their deliveries, joinable by either side's index whatever the planner
    believes of the tables' sizes (a burst of new rows makes its estimates stale): with only
    the text comparison a nested loop scanned every due reminder for each delivery."""
    return _delivery_of(Reminder.id) & (Reminder.id == cast(Delivery.subject, Integer))


@dataclass(frozen=True)
class ReminderView:
    """Everything a reminder DM shows."""

    reminder_id: int
    note_id: int
    author: str
    agent_id: int
    agent_name: str
    excerpt: str
    written_at: datetime
    due_at: datetime
    late_by: timedelta | None
    check_history: bool


def late_by(due_at: datetime, now: datetime) -> timedelta | None:
    """How late a reminder is, when that is worth saying (it came due while nothing ran)."""
    late = now - due_at
    return late if late > LATE_AFTER else None


def excerpt(body: str, limit: int = EXCERPT) -> str:
    """A note's first words on one line, redacted of private customer information."""
    return clip(redact(" ".join(body.split())), limit)


def load_claimed(session: Session, ids: list[int], token: str, now: datetime) -> list[ReminderView]:
    """The claimed reminders still ours, with what their DMs show."""
    rows = session.execute(
        select(Reminder, Note, Agent)
        .join(Note, Note.id == Reminder.note_id)
        .join(Agent, Agent.id == Note.agent_id)
        .join(Delivery, _joined())
        .where(Reminder.id.in_(ids), Delivery.claim_token == token)
    ).all()
    return [
        ReminderView(
            reminder_id=r.id,
            note_id=n.id,
            author=r.author,
            agent_id=a.id,
            agent_name=a.name,
            excerpt=excerpt(n.body),
            written_at=n.created_at,
            due_at=r.due_at,
            late_by=late_by(r.due_at, now),
            check_history=r.check_history,
        )
        for r, n, a in rows
    ]


class ReminderNotifier(Protocol):
    """Where reminder DMs go."""

    def open_dm(self, user_id: str) -> str:
        """The DM channel with a user."""
        ...

    def find_reminder_message(self, channel: str, reminder_id: int) -> str | None:
        """The ts of an earlier DM for this reminder, if one was sent."""
        ...

    def post_reminder(self, channel: str, view: ReminderView) -> str:
        """Send the DM; returns its ts."""
        ...


@dataclass
class SendReport:
    """What one pass over due reminders did."""

    claimed: int = 0
    sent: int = 0
    found_sent: int = 0
    failed: int = 0
    released: int = 0  # claimed, then given back unsent: the process is stopping
    lateness: list[float] = field(default_factory=list)


def _claim_of(view: ReminderView, token: str) -> deliveries.Claim:
    return deliveries.Claim(KIND, str(view.reminder_id), view.author, token, view.check_history)


def _still_ours(
    session_factory: Callable[[], Any], view: ReminderView, token: str, now: datetime
) -> bool:
    """Renew our claim just before sending; False when it expired and was taken over, or the
    reminder was cancelled meanwhile (a note edited or archived)."""
    with session_factory() as session:
        if not deliveries.renew(session, _claim_of(view, token), now):
            return False
        status = session.scalar(select(Reminder.status).where(Reminder.id == view.reminder_id))
        return status == ReminderStatus.PENDING


def _mark_sent(reminder_id: int) -> Callable[[Session, str, str], None]:
    def mark(session: Session, _channel: str, _ts: str) -> None:
        session.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id)
            .values(status=ReminderStatus.SENT)
            .execution_options(synchronize_session=False)
        )

    return mark


def send_due(
    *,
    session_factory: Callable[[], Any],
    notifier: ReminderNotifier,
    now: Callable[[], datetime] = utcnow,
    per_channel_interval: float = 1.0,
    workers: int = 8,
    limit: int = 500,
    is_definite_failure: Callable[[Exception], bool] = lambda _exc: False,
    sleep: Callable[[float], None] = time.sleep,
    lease: timedelta = LEASE,
    stopping: Callable[[], bool] = lambda: False,
) -> SendReport:
    """Claim what is due and DM each author, at most one message a channel per interval. Once
    `stopping()` (a deploy), the reminders not started yet are given back, not sent."""
    report = SendReport()
    if stopping():
        return report
    with session_factory() as session:
        token, ids = claim_due(session=session, now=now(), limit=limit, lease=lease)
    if not ids:
        return report
    with session_factory() as session:
        views = load_claimed(session, ids, token, now())
    report.claimed = len(views)
    by_author: dict[str, list[ReminderView]] = defaultdict(list)
    for view in views:
        by_author[view.author].append(view)
    one = _Pass(
        session_factory=session_factory,
        notifier=notifier,
        token=token,
        now=now,
        interval=per_channel_interval,
        sleep=sleep,
        stopping=stopping,
        is_definite_failure=is_definite_failure,
        report=report,
    )
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(by_author)))) as pool:
        list(pool.map(one.deliver, by_author.values()))
    return report


@dataclass
class _Pass:
    """One pass's claimed reminders, sent by author queues on worker threads."""

    session_factory: Callable[[], Any]
    notifier: ReminderNotifier
    token: str
    now: Callable[[], datetime]
    interval: float
    sleep: Callable[[float], None]
    stopping: Callable[[], bool]
    is_definite_failure: Callable[[Exception], bool]
    report: SendReport
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliver(self, queue: list[ReminderView]) -> None:
        """One author's reminders, one DM channel, paced."""
        channel: str | None = None
        last = 0.0
        for view in queue:
            claim = _claim_of(view, self.token)
            if self.stopping():
                with self.session_factory() as session:
                    deliveries.release(session, claim)
                self._count(Outcome.RELEASED, view)
                continue
            try:
                channel = channel or self.notifier.open_dm(view.author)
                outcome = self._send(view, claim, channel, last)
            except Exception as exc:
                log.warning("reminder %d not sent: %s", view.reminder_id, exc)
                with self.session_factory() as session:
                    definite = self.is_definite_failure(exc)
                    deliveries.fail(session, claim, exc, definite=definite, now=utcnow())
                with self.lock:
                    self.report.failed += 1
                continue
            if outcome is Outcome.SENT:
                last = time.monotonic()
            self._count(outcome, view)

    def _send(
        self, view: ReminderView, claim: deliveries.Claim, channel: str, last: float
    ) -> Outcome:
        def ready() -> bool:
            wait = self.interval - (time.monotonic() - last)
            if last and wait > 0:
                self.sleep(wait)
            return not self.stopping()  # a pause that ended in a deploy: give it back unsent

        return deliveries.send(
            session_factory=self.session_factory,
            claim=claim,
            channel=channel,
            find=partial(self.notifier.find_reminder_message, channel, view.reminder_id),
            post=partial(self.notifier.post_reminder, channel, view),
            now=self.now,
            ready=ready,
            still_ours=lambda: _still_ours(self.session_factory, view, self.token, self.now()),
            on_sent=_mark_sent(view.reminder_id),
        )

    def _count(self, outcome: Outcome, view: ReminderView) -> None:
        with self.lock:
            if outcome is Outcome.SENT:
                self.report.sent += 1
                self.report.lateness.append((self.now() - view.due_at).total_seconds())
            elif outcome is Outcome.FOUND:
                self.report.found_sent += 1
            elif outcome is Outcome.RELEASED:
                self.report.released += 1


def send_all_due(one_pass: Callable[[], SendReport]) -> SendReport:
    """Passes (`send_due` with its arguments bound) until nothing is due, or only failures are
    left to retry later; their reports merged."""
    total = SendReport()
    while True:
        report = one_pass()
        total.claimed += report.claimed
        total.sent += report.sent
        total.found_sent += report.found_sent
        total.failed += report.failed
        total.lateness += report.lateness
        total.released += report.released
        if report.claimed == 0 or report.claimed == report.failed + report.released:
            return total


CALENDAR_URL_MAX = 3000  # Slack's limit for a button's url; every browser takes it too


def calendar_url(
    *, agent_name: str, due_at: datetime, link: str | None, limit: int = CALENDAR_URL_MAX
) -> str:
    """Google Calendar's public event template: the agent's name and a link back, no note text.
    The URL fits `limit` characters: the name is cut to fit, never the link (a cut link leads
    nowhere; a link too long to fit at all is left out)."""
    start = due_at.strftime("%Y%m%dT%H%M%SZ")
    end = (due_at + timedelta(minutes=30)).strftime("%Y%m%dT%H%M%SZ")

    def built(name: str, back: str | None) -> str:
        params = {
            "action": "TEMPLATE",
            "text": f"Coaching follow-up: {name}",
            "dates": f"{start}/{end}",
        }
        if back:
            params["details"] = f"Open {name}'s coaching record in Slack: {back}"
        return "https://calendar.google.com/calendar/render?" + urlencode(params)

    for back in (link, None) if link else (None,):
        # the URL grows with the name: find the longest cut of it that fits
        shortest, longest = 0, len(agent_name)
        if len(built(clip(agent_name, shortest), back)) > limit:
            continue
        while shortest < longest:
            middle = (shortest + longest + 1) // 2
            if len(built(clip(agent_name, middle), back)) <= limit:
                shortest = middle
            else:
                longest = middle - 1
        return built(clip(agent_name, shortest), back)
    raise ValueError(f"a calendar URL can't fit {limit} characters")
