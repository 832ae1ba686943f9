"""The send-once mechanism: a sender killed at any step loses no DM and doubles none."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlalchemy.orm import Session

from bot.core.db import session_scope
from bot.flags.dms import LEASE, FlagView, deliver_flag, pending_flags
from models.base import utcnow
from tests import factories as f


class Killed(BaseException):
    """The process dying: not an Exception, so nothing on the way catches it."""


@dataclass
class Recorder:
    """A notifier whose DMs land in a list, searchable as Slack's history is."""

    posts: list[tuple[str, int]] = field(default_factory=list)

    def open_dm(self, user_id: str) -> str:
        return f"D{user_id}"

    def find_flag_message(self, channel: str, flag_id: int) -> str | None:
        return f"{channel}.{flag_id}" if (channel, flag_id) in self.posts else None

    def post_flag(self, channel: str, view: FlagView, chart_png: bytes | None) -> str:
        self.posts.append((channel, view.flag_id))
        return f"{channel}.{view.flag_id}"


def dying_at(n: int, db: str) -> Callable[[], AbstractContextManager[Session]]:
    """A session factory whose `n`th session is never opened: the process died there."""
    opened = 0

    def factory() -> AbstractContextManager[Session]:
        nonlocal opened
        opened += 1
        if opened == n:
            raise Killed
        return session_scope(db)

    return factory


def test_a_sender_killed_at_any_step_leaves_each_lead_one_dm(db, session):
    f.member(session, "UADMIN", "admin")
    f.member(session, "UOWNER", "owner")
    agent = f.agent(session, "Sarah Connor")  # no lead: every owner and admin gets the DM
    session.commit()
    notifier, start = Recorder(), utcnow()
    later = start + LEASE + timedelta(seconds=1)
    deliver = partial(deliver_flag, notifier=notifier, window_days=7)
    steps = 0
    while True:  # kill the first delivery at its 1st, 2nd, … session, until one runs through
        steps += 1
        with session_scope(db) as s:
            flag_id = f.flag(s, agent.id).id
        try:
            deliver(session_factory=dying_at(steps, db), flag_id=flag_id, now=start)
        except Killed:  # the next scan finds what the dead one left, as a scan does
            with session_scope(db) as s:
                due = pending_flags(s, later)
            for pending in due:
                deliver(session_factory=partial(session_scope, db), flag_id=pending, now=later)
            sent = Counter(channel for channel, flag in notifier.posts if flag == flag_id)
            assert sent == {"DUADMIN": 1, "DUOWNER": 1}, f"killed at session {steps}"
            continue
        break
    sent = Counter(channel for channel, flag in notifier.posts if flag == flag_id)
    assert sent == {"DUADMIN": 1, "DUOWNER": 1}
    assert steps > 4  # the kills covered loading, claiming, renewing and confirming
