"""Dates as Slack shows them: in the reader's own time zone, with a UTC fallback."""

from __future__ import annotations

from datetime import UTC, datetime

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def slack_date(moment: datetime, token: str = "{date_short_pretty}") -> str:
    """A `<!date^...>` token that Slack renders in the reader's zone."""
    return f"<!date^{int(moment.timestamp())}^{token}|{short_date(moment)}>"


def short_date(moment: datetime) -> str:
    """`Tue 14 Jan 2025`, in UTC (no strftime: this runs for every row of every modal)."""
    day = moment.astimezone(UTC)
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"
