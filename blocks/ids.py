"""Every action, block and callback id Debrief's Slack surfaces use."""

from __future__ import annotations

import re
from enum import StrEnum


class CallbackId(StrEnum):
    """Modal callback ids."""

    COACH_MODAL = "coach_modal"
    NOTE_EDIT = "note_edit_modal"
    NOTICE = "notice_modal"
    FLAG_DISMISS = "flag_dismiss_modal"
    PIN_FORM = "pin_sample_modal"
    QA_EDIT = "qa_edit_modal"
    QA_REJECT = "qa_reject_modal"
    NOTE_REPLY = "note_reply_modal"
    COACH_SHORTCUT = "coach_on_this"  # the message shortcut (manifest.yml)
    SHORTCUT_MODAL = "coach_on_this_modal"


class ActionId(StrEnum):
    """Interactive element action ids."""

    COACH_OPEN = "coach_open"
    PICK_AGENT = "coach_pick_agent"
    SAMPLE_LINK = "sample_link"
    NOTE_EDIT = "note_edit"
    NOTE_ARCHIVE = "note_archive"
    NOTES_OLDER = "notes_older"
    NOTES_NEWER = "notes_newer"
    BODY = "note_body"
    FOLLOW_UP = "note_follow_up"
    SHARE = "note_share"
    SAMPLE = "note_sample"
    FLAG_DISMISS = "flag_dismiss"
    PIN_OPEN = "pin_open"
    REMINDER_DONE = "reminder_done"
    REMINDER_SNOOZE = "reminder_snooze"
    CALENDAR_LINK = "calendar_link"
    PIN_HELPDESK = "pin_helpdesk"
    PIN_ID = "pin_external_id"
    PIN_CSAT = "pin_csat"
    DISMISS_REASON = "flag_dismiss_reason"
    DISMISS_NOTE = "flag_dismiss_note"
    QA_APPROVE = "qa_approve"
    QA_EDIT = "qa_edit"
    QA_REJECT = "qa_reject"
    QA_LINK = "qa_link"
    QA_REASON = "qa_reason"
    QA_POINT_TEXT = "qa_point_text"
    QA_POINT_CAUSE = "qa_point_cause"
    QA_POINT_KEEP = "qa_point_keep"
    NOTE_ACK = "shared_note_ack"
    NOTE_REPLY = "shared_note_reply"
    REPLY_BODY = "note_reply_body"
    QA_SCORE = "qa_score"


class BlockId(StrEnum):
    """Block ids; composer inputs carry a `.N` generation suffix so a saved form clears."""

    BODY = "note_body"
    FOLLOW_UP = "note_follow_up"
    SHARE = "note_share"
    SAMPLE = "note_sample"
    PAGER = "notes_pager"
    PICKER = "agent_picker"
    FLAG_ACTIONS = "flag_actions"
    REMINDER_ACTIONS = "reminder_actions"
    SAMPLE_ACTIONS = "sample_actions"
    PIN_HELPDESK = "pin_helpdesk"
    PIN_ID = "pin_external_id"
    PIN_CSAT = "pin_csat"
    DISMISS_REASON = "flag_dismiss_reason"
    DISMISS_NOTE = "flag_dismiss_note"
    QA_ACTIONS = "qa_actions"
    QA_REASON = "qa_reason"
    QA_POINT_TEXT = "qa_point_text"  # `.N`: the point's index in the draft
    QA_POINT_CAUSE = "qa_point_cause"
    QA_POINT_KEEP = "qa_point_keep"
    SHARED_NOTE_ACTIONS = "shared_note_actions"  # `.N` in the App Home: the note's id
    REPLY_BODY = "note_reply_body"
    QA_SCORE = "qa_score"  # `.<criterion>`: the criterion the score is for


NO_SAMPLE = "none"
SHARE_VALUE = "shared"
FLAG_EVENT = "debrief_flag"
REMINDER_EVENT = "debrief_reminder"
QA_DRAFT_EVENT = "debrief_qa_draft"
SHARED_NOTE_EVENT = "debrief_shared_note"
NOTE_REPLY_EVENT = "debrief_note_reply"
KEEP_VALUE = "keep"


def numbered(action: ActionId, index: int) -> str:
    """An action id made unique within its block (Slack refuses repeats): `coach_open.2`."""
    return f"{action}.{index}"


def any_numbered(action: ActionId) -> re.Pattern[str]:
    """Matches the action id itself and every `numbered` variant of it."""
    return re.compile(rf"^{re.escape(action)}(\.\d+)?$")
