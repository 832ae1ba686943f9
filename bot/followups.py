"""When a follow-up date picked in Slack falls due, and which dates are still allowed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FOLLOW_UP_HOUR = time(9, 0)
EARLIEST_ZONE = timedelta(hours=-12)


def follow_up_instant(day: date, tz_name: str = "UTC") -> datetime:
    """09:00 on `day` in the author's zone, as a UTC instant."""
    local = datetime.combine(day, FOLLOW_UP_HOUR, tzinfo=ZoneInfo(tz_name))
    return local.astimezone(UTC)


def earliest_follow_up_day(now: datetime) -> date:
    """The earliest date that is still today somewhere on Earth (UTC-12)."""
    return (now.astimezone(UTC) + EARLIEST_ZONE).date()


def day_not_before(now: datetime, tz_name: str = "UTC") -> datetime:
    """The instant a Slack-picked date is compared with: 09:00 of the earliest 'today'."""
    return follow_up_instant(earliest_follow_up_day(now), tz_name)
