"""Dates as Slack shows them: in the reader's own time zone, with a UTC fallback."""

from __future__ import annotations

from datetime import datetime


def slack_date(moment: datetime, token: str = "{date_short_pretty}") -> str:
    """A `<!date^...>` token that Slack renders in the reader's zone."""
    return f"<!date^{int(moment.timestamp())}^{token}|{short_date(moment)}>"


def short_date(moment: datetime) -> str:
    """`Tue 14 Jan 2025`, in UTC."""
    return f"{moment:%a} {moment.day} {moment:%b %Y}"
