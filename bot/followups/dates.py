"""When a follow-up date picked in Slack falls due, and which dates are still allowed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member

log = logging.getLogger("bot.followups")

FOLLOW_UP_HOUR = time(9, 0)
EARLIEST_ZONE = timedelta(hours=-12)
ZONE_MAX_AGE = timedelta(days=7)


def follow_up_instant(day: date, tz_name: str | None = None) -> datetime:
    """09:00 on `day` in the author's zone (UTC when unknown), as a UTC instant."""
    local = datetime.combine(day, FOLLOW_UP_HOUR, tzinfo=ZoneInfo(tz_name or "UTC"))
    return local.astimezone(UTC)


def day_not_before(now: datetime, tz_name: str | None = None) -> datetime:
    """The instant a Slack-picked date is compared with: 09:00 of 'today' for the author.

    With the author's zone unknown, 'today' is the earliest date still current anywhere (UTC-12),
    so nobody is told their today is in the past.
    """
    if tz_name:
        return follow_up_instant(now.astimezone(ZoneInfo(tz_name)).date(), tz_name)
    return follow_up_instant((now.astimezone(UTC) + EARLIEST_ZONE).date())


def valid_zone(name: str | None) -> str | None:
    """The zone name if the tz database knows it."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def author_zone(
    *, session: Session, slack_user_id: str, lookup: Callable[[str], str | None], now: datetime
) -> str | None:
    """The author's Slack time zone, cached on their member row for a week."""
    member = session.scalar(select(Member).where(Member.slack_user_id == slack_user_id))
    return member_zone(member=member, slack_user_id=slack_user_id, lookup=lookup, now=now)


def member_zone(
    *,
    member: Member | None,
    slack_user_id: str,
    lookup: Callable[[str], str | None],
    now: datetime,
) -> str | None:
    """A member's Slack time zone from their row when checked within a week, else asked of
    Slack (and kept on the row)."""
    if member is not None and member.tz_checked_at and now - member.tz_checked_at < ZONE_MAX_AGE:
        return member.tz
    try:
        zone = valid_zone(lookup(slack_user_id))
    except Exception as exc:  # a reminder at 09:00 UTC beats no note at all
        log.warning("time zone of %s unknown: %s", slack_user_id, exc)
        return member.tz if member is not None else None
    if member is not None:
        member.tz, member.tz_checked_at = zone, now
    return zone
