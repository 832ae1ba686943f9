"""The Coach modal and the note edit form, from a CoachRecord."""

from __future__ import annotations

import json
from typing import Any

from blocks.dates import short_date, slack_date
from blocks.ids import NO_SAMPLE, SHARE_VALUE, ActionId, BlockId, CallbackId
from blocks.kit import (
    MODAL_MAX_BLOCKS,
    SECTION_MAX,
    Block,
    actions,
    button,
    clip,
    confirm_dialog,
    context,
    divider,
    escape,
    fit,
    header,
    input_block,
    modal,
    option,
    plain,
    section,
)
from bot.coaching.modal_notes import NoteInput
from bot.coaching.record import CoachRecord, NoteView, SampleView
from bot.followups.reminders import calendar_url

NOTE_CALENDAR_URL_MAX = 1500  # the link in a note's header line: room left for the rest of it
SAMPLE_LABEL_MAX = 200
REPLIES_SHOWN = 3
REPLY_SHOWN = 800  # characters of each reply shown, escaped: three fit one section
HELPDESK_NAMES = {
    "zendesk": "Zendesk",
    "intercom": "Intercom",
    "freshdesk": "Freshdesk",
    "helpscout": "Help Scout",
    "gorgias": "Gorgias",
    "front": "Front",
    "hubspot": "HubSpot",
}


def composer_block_id(base: BlockId, generation: int) -> str:
    """The block id of a composer input in a given generation of the form."""
    return f"{base}.{generation}"


def csat_text(csat: float | None) -> str:
    """`CSAT 2` or `CSAT 2.5`, or `no CSAT`."""
    if csat is None:
        return "no CSAT"
    return f"CSAT {csat:g}"


def _sample_block(sample: SampleView) -> Block:
    desk = HELPDESK_NAMES.get(sample.helpdesk, sample.helpdesk)
    meta = [f"*{csat_text(sample.csat)}*"]
    if sample.closed_at is not None:
        meta.append(f"closed {slack_date(sample.closed_at)}")
    meta.append(f"{escape(desk)} #{escape(sample.external_id)}")
    if sample.source == "manual":
        meta.append("pinned")
    first = " · ".join(meta)
    if sample.url is None:
        tail = (
            f"\n_No link: set DEBRIEF_DEEPLINK_{sample.helpdesk.upper()} to link {escape(desk)}._"
        )
        summary = clip(escape(sample.summary), SECTION_MAX - len(first) - len(tail) - 1)
        return section(f"{first}\n{summary}{tail}")
    summary = clip(escape(sample.summary), SECTION_MAX - len(first) - 1)
    return section(
        f"{first}\n{summary}",
        accessory=button(
            f"Open in {desk}", ActionId.SAMPLE_LINK, sample.external_id, url=sample.url
        ),
    )


def _note_meta(note: NoteView, agent_name: str, link_back: str | None, lead: bool) -> str:
    parts = [f"*<@{note.author}>*", slack_date(note.created_at)]
    if note.updated_at > note.created_at:
        parts.append("edited")
    parts.append(
        ":busts_in_silhouette: Shared with agent" if note.shared_with_agent else ":lock: Private"
    )
    if note.follow_up_at is not None:
        due = f"Follow-up due {slack_date(note.follow_up_at, '{date_short_pretty}')}"
        if note.follow_up_done_at is not None:
            parts.append(f"~{due}~ done")
        else:
            add = calendar_url(
                agent_name=agent_name,
                due_at=note.follow_up_at,
                link=link_back,
                limit=NOTE_CALENDAR_URL_MAX,
            )
            parts.append(f":alarm_clock: {due} (<{add}|add to Google Calendar>)")
    if note.sample_label is not None:
        parts.append(f"about {escape(clip(note.sample_label, SAMPLE_LABEL_MAX))}")
    if note.shared_with_agent and lead:  # what the agent did with it, for the lead
        parts.extend(agent_side_facts(note))
    return " · ".join(parts)


def agent_side_facts(note: NoteView) -> list[str]:
    """What the agent did with a note shared with them: seen, acknowledged, replies."""
    facts = []
    if note.acknowledged_at is not None:
        facts.append(f":white_check_mark: acknowledged {slack_date(note.acknowledged_at)}")
    elif note.seen_at is not None:
        facts.append(f":eyes: seen {slack_date(note.seen_at)}")
    else:
        facts.append("not seen yet")
    if note.replies:
        facts.append(
            f":speech_balloon: {len(note.replies)} {'reply' if len(note.replies) == 1 else 'replies'}"
        )
    return facts


def replies_block(note: NoteView) -> Block:
    """A shared note's replies, the latest REPLIES_SHOWN (oldest first) within one section."""
    shown = note.replies[-REPLIES_SHOWN:]
    lines = [
        f"• <@{r.author}> {slack_date(r.created_at)}: {fit(r.body, REPLY_SHOWN)}" for r in shown
    ]
    earlier = len(note.replies) - len(shown)
    if earlier:
        lines.insert(0, f"_{earlier} earlier {'reply' if earlier == 1 else 'replies'} not shown_")
    return section("\n".join(lines), block_id=f"note_replies.{note.id}")


def note_body(body: str, block_id: str | None = None) -> Block:
    """A note's own text, whole: mrkdwn when it fits escaped, else as typed in plain text (a
    3,000-character note full of `&` or `<` would not fit once escaped)."""
    escaped = escape(body)
    if len(escaped) <= SECTION_MAX:
        return section(escaped, block_id=block_id)
    block: Block = {"type": "section", "text": plain(body)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def _note_blocks(
    note: NoteView, can_write: bool, agent_name: str, link_back: str | None, with_replies: bool
) -> list[Block]:
    # the header line goes in its own block, so however long it gets (a long name in the
    # calendar link, a sample label) it never pushes the note's own text out
    blocks = [
        context(_note_meta(note, agent_name, link_back, can_write)),
        note_body(note.body, block_id=f"note.{note.id}"),
    ]
    if with_replies and note.replies:
        blocks.append(replies_block(note))
    if can_write:
        blocks.append(
            actions(
                [
                    button("Edit", ActionId.NOTE_EDIT, str(note.id)),
                    button(
                        "Archive",
                        ActionId.NOTE_ARCHIVE,
                        str(note.id),
                        style="danger",
                        confirm=confirm_dialog(
                            "Archive this note?",
                            "It leaves the history. Debrief keeps it, with who archived it and when.",
                            "Archive",
                            "Keep it",
                        ),
                    ),
                ],
                block_id=f"note_actions.{note.id}",
            )
        )
    return blocks


def _history(record: CoachRecord, agent_name: str, link_back: str | None, used: int) -> list[Block]:
    """A page of notes; the replies go in only if the whole modal still fits 100 blocks (their
    count stays in each note's header line)."""
    for with_replies in (True, False):
        blocks = [
            block
            for note in record.notes
            for block in _note_blocks(note, record.can_write, agent_name, link_back, with_replies)
        ]
        if used + len(blocks) <= MODAL_MAX_BLOCKS:
            break
    return blocks


def _sample_option(sample: SampleView) -> dict[str, Any]:
    desk = HELPDESK_NAMES.get(sample.helpdesk, sample.helpdesk)
    when = f" · {short_date(sample.closed_at)}" if sample.closed_at else ""
    return option(f"{csat_text(sample.csat)} · {desk} #{sample.external_id}{when}", str(sample.id))


def note_inputs(
    samples: list[SampleView],
    generation: int | None,
    note: NoteView | None = None,
    draft: NoteInput | None = None,
) -> list[Block]:
    """The note form's inputs: empty for a new note, or prefilled from `draft` (what was typed,
    shown back) or else from `note` (the note being edited)."""

    def bid(base: BlockId) -> str:
        return base if generation is None else composer_block_id(base, generation)

    body: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ActionId.BODY,
        "multiline": True,
        "max_length": 3000,
        "placeholder": {"type": "plain_text", "text": "What do you want them to know?"},
    }
    picker: dict[str, Any] = {"type": "datepicker", "action_id": ActionId.FOLLOW_UP}
    share_option = option("Share with agent", SHARE_VALUE, "They will see it on their own record")
    share: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": ActionId.SHARE,
        "options": [share_option],
    }
    chosen_sample: int | None = None
    if draft is not None:
        body["initial_value"] = draft.body
        if draft.follow_up is not None:
            picker["initial_date"] = draft.follow_up.isoformat()
        if draft.shared:
            share["initial_options"] = [share_option]
        chosen_sample = draft.sample_id
    elif note is not None:
        body["initial_value"] = note.body
        if note.follow_up_at is not None:
            picker["initial_date"] = note.follow_up_at.date().isoformat()
        if note.shared_with_agent:
            share["initial_options"] = [share_option]
        chosen_sample = note.sample_id
    blocks = [
        input_block(bid(BlockId.BODY), "Note", body),
        input_block(bid(BlockId.FOLLOW_UP), "Follow-up date", picker, optional=True),
        input_block(bid(BlockId.SHARE), "Visibility", share, optional=True),
    ]
    if samples:
        options = [_sample_option(s) for s in samples]
        if note is not None:
            options.insert(0, option("— No sample —", NO_SAMPLE))
        select: dict[str, Any] = {
            "type": "static_select",
            "action_id": ActionId.SAMPLE,
            "placeholder": {"type": "plain_text", "text": "Which conversation is this about?"},
            "options": options[:100],
        }
        if chosen_sample is not None:
            chosen = [o for o in options if o["value"] == str(chosen_sample)]
            if chosen:
                select["initial_option"] = chosen[0]
        blocks.append(input_block(bid(BlockId.SAMPLE), "About a sample", select, optional=True))
    return blocks


def coach_metadata(agent_id: int, page: int, generation: int) -> str:
    """The Coach modal's private_metadata."""
    return json.dumps({"agent_id": agent_id, "page": page, "gen": generation})


def coach_modal(
    record: CoachRecord,
    *,
    generation: int = 0,
    link_back: str | None = None,
    draft: NoteInput | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """The Coach modal: samples, composer (leads only; prefilled from `draft`, under `notice`,
    when a note is shown back) and a page of note history."""
    agent = record.agent
    blocks: list[Block] = [header(agent.name)]
    facts = []
    if agent.slack_user_id:
        facts.append(f"<@{agent.slack_user_id}>")
    if agent.email:
        facts.append(escape(agent.email))
    facts.append(
        f"lead <@{agent.lead_slack_user_id}>" if agent.lead_slack_user_id else "no lead set"
    )
    if not agent.active:
        facts.append("deactivated")
    blocks.append(context(" · ".join(facts)))
    blocks.append(divider())
    blocks.append(section(f"*Worst-CSAT samples* ({len(record.samples)})"))
    if record.samples:
        blocks.extend(_sample_block(s) for s in record.samples)
    else:
        blocks.append(
            context("No samples yet. Debrief captures them when it flags a falling CSAT trend.")
        )
    if record.can_write:
        blocks.append(
            actions(
                [button("Pin a conversation", ActionId.PIN_OPEN, str(agent.id))],
                block_id=BlockId.SAMPLE_ACTIONS,
            )
        )
    if record.can_write:
        blocks.append(divider())
        blocks.append(section("*New note*"))
        if notice is not None:
            blocks.append(context(f":shield: {escape(notice)}"))
        blocks.extend(note_inputs(record.samples, generation, draft=draft))
    blocks.append(divider())
    heading = "*Notes shared with you*" if not record.can_write else "*Notes*"
    blocks.append(section(f"{heading} ({record.notes_total})"))
    if not record.notes:
        blocks.append(context("No notes yet."))
    history = _history(record, agent.name, link_back, len(blocks) + 2)
    blocks.extend(history)
    if record.notes_total > record.page_size:
        first = record.page * record.page_size + 1
        last = first + len(record.notes) - 1
        blocks.append(context(f"Notes {first}–{last} of {record.notes_total}, newest first"))
        pager = []
        if record.page > 0:
            pager.append(button("Newer notes", ActionId.NOTES_NEWER, str(record.page - 1)))
        if record.has_older:
            pager.append(button("Older notes", ActionId.NOTES_OLDER, str(record.page + 1)))
        blocks.append(actions(pager, block_id=BlockId.PAGER))
    return modal(
        title=f"Coach {agent.name}" if record.can_write else "My coaching record",
        blocks=blocks,
        callback_id=CallbackId.COACH_MODAL,
        private_metadata=coach_metadata(agent.id, record.page, generation),
        submit="Save note" if record.can_write else None,
    )


def edit_metadata(
    *, note_id: int, agent_id: int, root_view_id: str, root_hash: str, page: int, generation: int
) -> str:
    """The edit form's private_metadata: the note and the Coach modal to refresh after."""
    return json.dumps(
        {
            "note_id": note_id,
            "agent_id": agent_id,
            "root": root_view_id,
            "hash": root_hash,
            "page": page,
            "gen": generation,
        }
    )


def edit_modal(
    note: NoteView,
    samples: list[SampleView],
    *,
    metadata: str,
    draft: NoteInput | None = None,
    notice: str | None = None,
    generation: int | None = None,
) -> dict[str, Any]:
    """The prefilled form pushed over the Coach modal to edit one note (shown back from
    `draft`, under `notice`, when the change would lose private details)."""
    blocks: list[Block] = [context(f"Written {slack_date(note.created_at)} by <@{note.author}>")]
    if notice is not None:
        blocks.append(context(f":shield: {escape(notice)}"))
    blocks.extend(note_inputs(samples, generation, note, draft))
    return modal(
        title="Edit note",
        blocks=blocks,
        callback_id=CallbackId.NOTE_EDIT,
        private_metadata=metadata,
        submit="Save",
        close="Back",
    )


def pin_modal(*, agent_name: str, metadata: str) -> dict[str, Any]:
    """The form to pin one conversation by helpdesk and id."""
    desks = [option(name, key) for key, name in HELPDESK_NAMES.items()] + [option("Other", "other")]
    blocks: list[Block] = [
        section(
            f"Pin a conversation to *{escape(agent_name)}*'s record. Debrief reads it from the "
            "helpdesk (or the import it came from), keeps a short redacted summary and a link, "
            "never the conversation itself."
        ),
        input_block(
            BlockId.PIN_HELPDESK,
            "Helpdesk",
            {
                "type": "static_select",
                "action_id": ActionId.PIN_HELPDESK,
                "options": desks,
                "initial_option": desks[0],
            },
        ),
        input_block(
            BlockId.PIN_ID,
            "Conversation id",
            {
                "type": "plain_text_input",
                "action_id": ActionId.PIN_ID,
                "max_length": 200,
                "placeholder": {"type": "plain_text", "text": "e.g. 4512"},
            },
        ),
        input_block(
            BlockId.PIN_CSAT,
            "CSAT (if Debrief doesn't have it)",
            {
                "type": "number_input",
                "action_id": ActionId.PIN_CSAT,
                "is_decimal_allowed": True,
                "min_value": "1",
                "max_value": "5",
            },
            optional=True,
        ),
    ]
    return modal(
        title="Pin a conversation",
        blocks=blocks,
        callback_id=CallbackId.PIN_FORM,
        private_metadata=metadata,
        submit="Pin",
        close="Back",
    )


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A one-message modal, for errors inside a modal where nothing else can be shown."""
    return modal(title=title, blocks=[section(escape(text))], callback_id=CallbackId.NOTICE)
