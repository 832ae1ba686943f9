"""The QA draft DM to a lead (Approve / Edit / Reject), its edit and reject modals, and the
settled message once a lead decided."""

from __future__ import annotations

import json
from typing import Any

from blocks.ids import KEEP_VALUE, QA_DRAFT_EVENT, ActionId, BlockId, CallbackId
from blocks.kit import (
    MESSAGE_MAX_BLOCKS,
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
    header,
    input_block,
    message,
    modal,
    option,
    section,
)
from bot.qa.review import (
    AGENT_BEHAVIOR,
    MAX_POINT_TEXT,
    MAX_REASON,
    RISK_LABELS,
    ROOT_CAUSES,
    DraftView,
    evidence_of,
    root_cause_of,
)
from bot.qa.rubric import MAX_CRITERIA
from bot.qa.scores import same_score, scale_of, suggested_scores, whole_number

EVIDENCE_SHOWN = 300  # SPEC §5b: an excerpt is at most 300 characters
MODAL_FIXED = 3  # the intro section and the "more criteria" and "more points" contexts
PER_POINT = 4  # evidence, text, root cause, keep
MAX_SCORE_INPUTS = MAX_CRITERIA  # one a criterion: a rubric has at most 20
MAX_SCORED_NAME = 200  # the criterion is in the block id (at most 255 characters)


def _conversation(view: DraftView) -> str:
    label = f"{view.helpdesk} {view.external_id}"
    return f"<{view.link}|{escape(label)}>" if view.link else f"`{escape(label)}`"


def _score_line(score: dict[str, Any], final: dict[str, Any] | None = None) -> str:
    name = escape(str(score.get("criterion") or score.get("name") or "criterion"))
    value, top = score.get("score"), score.get("max")
    if final is not None and not same_score(value, final.get("score")):
        value, suggested = final.get("score"), f" (suggested {value})"
    else:
        suggested = ""
    shown = f"{value}/{top}" if top is not None else str(value)
    return f"• {name}: *{shown}*{suggested}"


def _scores_section(view: DraftView) -> Block:
    if view.final_scores:
        final = {str(s.get("criterion")): s for s in view.final_scores}
        lines = "\n".join(_score_line(s, final.get(str(s.get("criterion")))) for s in view.scores)
        return section(clip(f"*Scores as the lead set them*\n{lines}", SECTION_MAX))
    lines = "\n".join(_score_line(s) for s in view.scores)
    return section(clip(f"*Suggested scores*\n{lines}", SECTION_MAX))


def _badges(view: DraftView) -> str:
    parts = [
        ":eyes: *Needs your review*" if view.route == "lead_review" else "Ready for approval",
        f"confidence {round(view.confidence * 100)}%",
    ]
    if view.policy_exception:
        parts.append(":scales: *Policy exception*")
    parts += [f":warning: *{RISK_LABELS.get(r, escape(r))}*" for r in view.customer_risk]
    return " · ".join(parts)


def _quotes(point: dict[str, Any]) -> str:
    return "\n".join(f"> _“{escape(clip(e, EVIDENCE_SHOWN))}”_" for e in evidence_of(point))


def point_text(number: int, point: dict[str, Any]) -> str:
    """One point: its number, root cause, text and verbatim evidence, within a section's limit."""
    cause = root_cause_of(point)
    where = "coaching note" if cause == AGENT_BEHAVIOR else "process issue"
    head = (
        f"*{number}. {ROOT_CAUSES[cause]}* ({where})\n{escape(str(point.get('text', '')).strip())}"
    )
    quotes = _quotes(point)
    return clip(head + ("\n" + quotes if quotes else ""), SECTION_MAX)


def _outcome_line(view: DraftView) -> str:
    who = f"<@{view.decided_by}>" if view.decided_by else "a lead"
    if view.status == "rejected":
        return f":no_entry_sign: Rejected by {who}: {escape(view.reject_reason or '')}"
    notes = sum(root_cause_of(p) == AGENT_BEHAVIOR for p in view.applied_points)
    issues = len(view.applied_points) - notes
    verb = "Edited and approved" if view.status == "edited" else "Approved"
    return (
        f":white_check_mark: {verb} by {who}: {notes} coaching note{'s' * (notes != 1)} on "
        f"{escape(view.agent_name)}'s record, {issues} process issue{'s' * (issues != 1)} "
        "for the lead (not on the agent's record)."
    )


def draft_message(view: DraftView) -> dict[str, Any]:
    """The DM: the draft with its evidence, and Approve / Edit / Reject (or the decision)."""
    decided = view.status != "pending"
    rubric = f" · rubric v{view.rubric_version}" if view.rubric_version is not None else ""
    blocks: list[Block] = [
        header(f"QA draft: {view.agent_name}"),
        section(
            f"*Agent:* {escape(view.agent_name)} · *Conversation:* {_conversation(view)}"
            f"{rubric} · {escape(view.engine)}\n{_badges(view)}"
        ),
    ]
    if view.note:
        blocks.append(context(escape(view.note)))
    blocks.append(section(f"*Summary*\n{escape(view.summary)}"))
    if view.scores:
        blocks.append(_scores_section(view))
        if not view.final_scores:
            blocks.append(context("Suggested, not a final score: the lead decides."))
    blocks.append(divider())
    points = view.applied_points if view.status == "edited" else view.points
    if view.status == "edited":
        blocks.append(context("Points as the lead edited them:"))
    tail = 2  # the dropped-evidence context and the actions (or the decision)
    room = MESSAGE_MAX_BLOCKS - len(blocks) - tail - 1
    shown = points if len(points) <= room + 1 else points[:room]
    blocks += [section(point_text(i, p)) for i, p in enumerate(shown, start=1)]
    if len(shown) < len(points):
        blocks.append(
            context(f"…and {len(points) - len(shown)} more points: open *Edit* to see them all.")
        )
    if not points:
        blocks.append(context("No coaching point had evidence that checked out."))
    if view.dropped_points:
        blocks.append(
            context(
                f"{view.dropped_points} suggested point{'s' * (view.dropped_points != 1)} "
                "dropped: the evidence was not an exact quote of the conversation."
            )
        )
    if decided:
        blocks.append(context(_outcome_line(view)))
    else:
        notes = sum(root_cause_of(p) == AGENT_BEHAVIOR for p in points)
        value = str(view.draft_id)
        blocks.append(
            actions(
                [
                    button(
                        "Approve",
                        ActionId.QA_APPROVE,
                        value,
                        style="primary",
                        confirm={
                            **confirm_dialog(
                                "Approve this draft?",
                                f"{notes} coaching note{'s' * (notes != 1)} will go on "
                                f"{view.agent_name}'s record; other causes become process issues.",
                                "Approve",
                                "Cancel",
                            ),
                            "style": "primary",
                        },
                    ),
                    button("Edit…", ActionId.QA_EDIT, value),
                    button("Reject…", ActionId.QA_REJECT, value, style="danger"),
                ],
                block_id=BlockId.QA_ACTIONS,
            )
        )
    return message(
        f"QA draft for {view.agent_name} ({view.helpdesk} {view.external_id})",
        blocks,
        metadata={"event_type": QA_DRAFT_EVENT, "event_payload": {"draft_id": view.draft_id}},
    )


def settled_message(view: DraftView) -> dict[str, Any]:
    """The DM after a decision: the draft as decided, the buttons replaced by who and what."""
    message = draft_message(view)
    message.pop("metadata", None)
    return message


def _meta(view: DraftView, channel: str | None, ts: str | None) -> str:
    return json.dumps({"draft_id": view.draft_id, "channel": channel, "ts": ts})


def _cause_option(cause: str) -> dict[str, Any]:
    return option(ROOT_CAUSES[cause], cause)


def editable_scores(view: DraftView) -> list[dict[str, Any]]:
    """The suggested scores the edit modal has an input for: one a criterion with a usable
    maximum, at most MAX_SCORE_INPUTS (the rest stay as suggested)."""
    usable = [
        score
        for name, score in suggested_scores(view.scores).items()
        if len(name) <= MAX_SCORED_NAME and scale_of(score) is not None
    ]
    return usable[:MAX_SCORE_INPUTS]


def _score_option(value: int) -> dict[str, Any]:
    return option(str(value), str(value))


def _score_input(score: dict[str, Any]) -> Block:
    """A select of 0..max for one criterion, on the suggested score."""
    name, top = str(score["criterion"]), scale_of(score) or 0
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ActionId.QA_SCORE,
        "options": [_score_option(v) for v in range(top + 1)],
    }
    suggested = score.get("score")
    whole = whole_number(suggested)  # older engines stored some as 3.0 or "3"
    if whole is not None and 0 <= whole <= top:
        element["initial_option"] = _score_option(whole)
    return input_block(
        f"{BlockId.QA_SCORE}.{name}",
        f"{name} score (suggested {suggested} of {top})",
        element,
    )


def _point_inputs(index: int, point: dict[str, Any]) -> list[Block]:
    """A point's evidence, text, root cause and Keep."""
    quotes = _quotes(point) or "_No evidence quoted._"
    keep = option("Keep this point (untick to drop it)", KEEP_VALUE)
    return [
        section(clip(f"*Point {index + 1}* evidence:\n{quotes}", SECTION_MAX)),
        input_block(
            f"{BlockId.QA_POINT_TEXT}.{index}",
            f"Point {index + 1}",
            {
                "type": "plain_text_input",
                "action_id": ActionId.QA_POINT_TEXT,
                "multiline": True,
                "max_length": MAX_POINT_TEXT,
                "initial_value": clip(str(point.get("text", "")).strip(), MAX_POINT_TEXT),
            },
        ),
        input_block(
            f"{BlockId.QA_POINT_CAUSE}.{index}",
            "Root cause",
            {
                "type": "static_select",
                "action_id": ActionId.QA_POINT_CAUSE,
                "options": [_cause_option(c) for c in ROOT_CAUSES],
                "initial_option": _cause_option(root_cause_of(point)),
            },
        ),
        input_block(
            f"{BlockId.QA_POINT_KEEP}.{index}",
            "Keep",
            {
                "type": "checkboxes",
                "action_id": ActionId.QA_POINT_KEEP,
                "options": [keep],
                "initial_options": [keep],
            },
            optional=True,
        ),
    ]


def edit_modal(view: DraftView, *, channel: str | None, ts: str | None) -> dict[str, Any]:
    """The draft's scores (a select of 0..max each, on the suggested score) and its points,
    prefilled: text, root cause and Keep for each; evidence stays quoted. Within 100 blocks:
    at most MAX_SCORE_INPUTS scores, then as many points as fit; the rest stay as suggested."""
    blocks: list[Block] = [
        section(
            f"Edit the QA draft for *{escape(view.agent_name)}* ({_conversation(view)}). "
            "Set the scores you would give. Agent-behaviour points become coaching notes on "
            "their record; other causes become process issues for you. Untick *Keep* to drop "
            "a point."
        )
    ]
    scores = editable_scores(view)
    blocks += [_score_input(score) for score in scores]
    unscored = len(suggested_scores(view.scores)) - len(scores)
    if unscored > 0:
        blocks.append(context(f"{unscored} more scores are kept as suggested."))
    room = (MODAL_MAX_BLOCKS - MODAL_FIXED - len(scores)) // PER_POINT
    for index, point in enumerate(view.points[:room]):
        blocks += _point_inputs(index, point)
    if len(view.points) > room:
        blocks.append(
            context(
                f"{len(view.points) - room} more points are kept as suggested "
                "(a modal holds only so many)."
            )
        )
    return modal(
        title="Edit QA draft",
        blocks=blocks,
        callback_id=CallbackId.QA_EDIT,
        private_metadata=_meta(view, channel, ts),
        submit="Approve edits",
        close="Cancel",
    )


def reject_modal(view: DraftView, *, channel: str | None, ts: str | None) -> dict[str, Any]:
    """Ask why the draft is rejected (kept: rejections are the lead override rate)."""
    return modal(
        title="Reject QA draft",
        blocks=[
            section(
                f"Reject the QA draft for *{escape(view.agent_name)}* ({_conversation(view)})? "
                "Nothing goes on their record; your reason is kept to improve the drafts."
            ),
            input_block(
                BlockId.QA_REASON,
                "Why",
                {
                    "type": "plain_text_input",
                    "action_id": ActionId.QA_REASON,
                    "multiline": True,
                    "max_length": MAX_REASON,
                    "placeholder": {"type": "plain_text", "text": "e.g. the tone was fine here"},
                },
            ),
        ],
        callback_id=CallbackId.QA_REJECT,
        private_metadata=_meta(view, channel, ts),
        submit="Reject",
        close="Cancel",
    )
