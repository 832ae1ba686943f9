"""Outbound Slack: flag DMs and reminders (the domain only sees its notifier protocols)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.digest import DIGEST_EVENT, digest_message
from blocks.flag_dm import flag_message
from blocks.ids import (
    FLAG_EVENT,
    NOTE_REPLY_EVENT,
    QA_DRAFT_EVENT,
    REMINDER_EVENT,
    SHARED_NOTE_EVENT,
)
from blocks.qa_review import draft_message
from blocks.reminder_dm import reminder_message
from blocks.shared_note_dm import reply_message, shared_note_message
from bot.coaching.shared_dms import ReplyDm, SharedNoteDm
from bot.flags.dms import FlagView
from bot.followups.reminders import ReminderView, calendar_url
from bot.qa.review import DraftView
from bot.team.digest import DigestView

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200


def find_by_metadata(
    client: WebClient, channel: str, event_type: str, key: str, value: int
) -> str | None:
    """The ts of a recent message in `channel` whose metadata says `event_type` and key=value."""
    answer = client.conversations_history(
        channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True
    )
    messages: list[dict[str, Any]] = answer.get("messages", [])
    for message in messages:
        meta = message.get("metadata") or {}
        if (
            meta.get("event_type") == event_type
            and (meta.get("event_payload") or {}).get(key) == value
        ):
            return str(message["ts"])
    return None


def open_dm(client: WebClient, user_id: str) -> str:
    """The DM channel between the bot and a user."""
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def user_zone(client: WebClient, user_id: str) -> str | None:
    """A user's Slack time zone (users.info)."""
    answer = client.users_info(user=user_id)
    return (answer.get("user") or {}).get("tz")


class _SlackDm:
    """A notifier that DMs people through a WebClient."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def open_dm(self, user_id: str) -> str:
        """The DM channel with a user."""
        return open_dm(self.client, user_id)


class SlackFlagNotifier(_SlackDm):
    """Sends flag DMs through the Web API, with the flag id in each message's metadata."""

    def find_flag_message(self, channel: str, flag_id: int) -> str | None:
        """The ts of a DM already sent about this flag (checked before re-sending)."""
        return find_by_metadata(self.client, channel, FLAG_EVENT, "flag_id", flag_id)

    def post_flag(self, channel: str, view: FlagView, chart_png: bytes | None) -> str:
        """Post the DM with its chart; if Slack won't show the image yet, retry, then go without."""
        return post_with_chart(
            self.client,
            channel,
            lambda image: flag_message(view, chart_file_id=image),
            chart_png,
            filename=f"csat-{view.flag_id}.png",
            title=f"Weekly CSAT of {view.agent_name}",
        )


def upload_chart(client: WebClient, png: bytes, *, filename: str, title: str) -> str | None:
    """Upload a chart PNG (files_upload_v2); its file id, or None if Slack refused it."""
    try:
        answer = client.files_upload_v2(file=png, filename=filename, title=title)
        return str(answer["file"]["id"])
    except SlackApiError as exc:
        log.warning(
            "chart upload failed (%s); sending the DM without it", exc.response.get("error")
        )
        return None


def post_with_chart(
    client: WebClient,
    channel: str,
    message: Callable[[str | None], dict[str, Any]],
    chart_png: bytes | None,
    *,
    filename: str,
    title: str,
) -> str:
    """Post `message(file id)` with its chart; if Slack won't show the image yet, retry, then without."""
    file_id = upload_chart(client, chart_png, filename=filename, title=title) if chart_png else None
    attempts = [file_id, file_id, None] if file_id else [None]
    for index, image in enumerate(attempts):
        try:
            answer = client.chat_postMessage(channel=channel, **message(image))
            return str(answer["ts"])
        except SlackApiError as exc:
            if image is None or exc.response.get("error") != "invalid_blocks":
                raise
            if index == 0:
                time.sleep(1.0)  # a fresh upload can take a moment before blocks may show it
            else:
                log.warning("Slack refused the chart image; sending the DM without it")
    raise AssertionError("the last attempt has no image: it returns or raises")


class SlackReminderNotifier(_SlackDm):
    """Sends follow-up reminders, with the reminder id in each message's metadata."""

    def __init__(self, client: WebClient, *, app_id: str | None = None) -> None:
        super().__init__(client)
        self.app_id = app_id
        self._link: str | None = None

    def link_back(self) -> str:
        """Where a calendar event links back to: the app in Slack, else the workspace."""
        if self._link is None:
            answer = self.client.auth_test()
            team = answer.get("team_id", "")
            self._link = (
                f"https://slack.com/app_redirect?app={self.app_id}&team={team}"
                if self.app_id
                else str(answer.get("url") or "https://slack.com/")
            )
        return self._link

    def find_reminder_message(self, channel: str, reminder_id: int) -> str | None:
        """The ts of a reminder DM already sent (checked before re-sending an expired claim)."""
        return find_by_metadata(self.client, channel, REMINDER_EVENT, "reminder_id", reminder_id)

    def post_reminder(self, channel: str, view: ReminderView) -> str:
        """Send the reminder DM."""
        link = calendar_url(agent_name=view.agent_name, due_at=view.due_at, link=self.link_back())
        answer = self.client.chat_postMessage(
            channel=channel, **reminder_message(view, calendar_url=link)
        )
        return str(answer["ts"])


# Slack's `ok: false` errors that don't prove nothing was done ("It's possible some aspect of
# the operation succeeded before the error was raised", Slack's method reference)
_MAYBE_DONE = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})


def slack_refused(exc: Exception) -> bool:
    """Whether Slack's answer proves nothing was posted: a 429, or an `ok: false` answer that
    refuses the call (`channel_not_found`, `invalid_blocks`, …). A 5xx, a timeout, a dropped
    connection or a transient `internal_error` may come after Slack stored the message: the
    DM's history is looked at before it is posted again."""
    if not isinstance(exc, SlackApiError):
        return False
    status = exc.response.status_code
    if status == 429:
        return True
    return status == 200 and exc.response.get("error") not in _MAYBE_DONE


class SlackDraftNotifier(_SlackDm):
    """Sends QA draft DMs, with the draft id in each message's metadata."""

    def find_draft_message(self, channel: str, draft_id: int) -> str | None:
        """The ts of a DM already sent about this draft (checked before re-sending)."""
        return find_by_metadata(self.client, channel, QA_DRAFT_EVENT, "draft_id", draft_id)

    def post_draft(self, channel: str, view: DraftView) -> str:
        """Send the draft DM."""
        answer = self.client.chat_postMessage(channel=channel, **draft_message(view))
        return str(answer["ts"])


class SlackDigestNotifier(_SlackDm):
    """Sends the weekly digest, with its week in the message metadata and its chart attached."""

    def find_digest_message(self, channel: str, week_key: int) -> str | None:
        """The ts of this week's digest if already sent (checked before re-sending a claim)."""
        return find_by_metadata(self.client, channel, DIGEST_EVENT, "week_key", week_key)

    def zone_of(self, user_id: str) -> str | None:
        """The user's Slack time zone (users.info)."""
        return user_zone(self.client, user_id)

    def post_digest(self, channel: str, view: DigestView, chart_png: bytes | None) -> str:
        """Post the digest, with the chart the way the flag DM posts its own."""
        return post_with_chart(
            self.client,
            channel,
            lambda image: digest_message(view, chart_file_id=image),
            chart_png,
            filename=f"digest-{view.week}.png",
            title=view.chart_title or "Weekly CSAT",
        )


class SlackAgentSideNotifier(_SlackDm):
    """Sends shared notes to their agents and the agents' replies to the notes' authors, each
    with its note or reply id in the message metadata."""

    def find_shared_note_message(self, channel: str, note_id: int) -> str | None:
        """The ts of a DM of this note already sent (checked before re-sending a claim)."""
        return find_by_metadata(self.client, channel, SHARED_NOTE_EVENT, "note_id", note_id)

    def post_shared_note(self, channel: str, view: SharedNoteDm) -> str:
        """Send the shared note's DM."""
        answer = self.client.chat_postMessage(channel=channel, **shared_note_message(view))
        return str(answer["ts"])

    def find_reply_message(self, channel: str, reply_id: int) -> str | None:
        """The ts of a DM of this reply already sent (checked before re-sending a claim)."""
        return find_by_metadata(self.client, channel, NOTE_REPLY_EVENT, "reply_id", reply_id)

    def post_reply(self, channel: str, view: ReplyDm) -> str:
        """Send the reply's DM to the note's author."""
        answer = self.client.chat_postMessage(channel=channel, **reply_message(view))
        return str(answer["ts"])
