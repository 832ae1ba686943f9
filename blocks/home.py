"""The App Home tab: the team at a glance for a lead, their own record for a member.

Pure builders: the views stay within Slack's limits (100 blocks, 3000 characters a section)
however much data there is, because every list arrives capped and every list section is
filled line by line within a character budget, with what was left out counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from blocks.dates import slack_date
from blocks.flag_dm import trend_figures
from blocks.ids import ActionId, BlockId
from blocks.kit import (
    SECTION_MAX,
    Block,
    actions,
    context,
    divider,
    escape,
    fit,
    header,
    section,
)
from blocks.messages import coach_button, recovery_figures
from blocks.shared_note_dm import acknowledged_line, shared_note_buttons
from bot.insights.metrics import percent
from bot.qa.review import ROOT_CAUSES
from bot.team.home import AgreementView, OwnView, SharedNote, TeamView
from bot.team.recovery import RECOVERY_WEEKS, Recovery

HOME_MAX_BLOCKS = 100
NAME_MAX = 80
LABEL_MAX = 200
NOTE_MAX = SECTION_MAX
REPLY_SHOWN = 800  # each of a note's latest replies, in its one section
_BUDGET = SECTION_MAX - 100  # room for a closing line after the listed ones

_KINDS = {
    "documentation": "Documentation gap",
    "policy": "Unclear policy",
    "product": "Product issue",
    "staffing": "Staffing",
}


def _name(name: str) -> str:
    """An agent's name, bold, clipped and escaped for mrkdwn."""
    return f"*{fit(name, NAME_MAX)}*"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def _lines(lines: Iterable[str], total: int, more: str) -> str:
    """Lines joined within one section's budget, then `N more …` for those not shown."""
    shown: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > _BUDGET:
            break
        shown.append(line)
        used += len(line) + 1
    text = "\n".join(shown)
    if total > len(shown):
        text += f"\n_{total - len(shown)} more {more}_"
    return text


def _home(blocks: list[Block]) -> dict[str, Any]:
    """A home view; more than 100 blocks is a bug in the builder, not something to send."""
    if len(blocks) > HOME_MAX_BLOCKS:
        raise ValueError(f"home has {len(blocks)} blocks; Slack allows {HOME_MAX_BLOCKS}")
    return {"type": "home", "blocks": blocks}


def stranger_home() -> dict[str, Any]:
    """The home for someone Debrief doesn't know."""
    return _home(
        [
            header("Debrief coaching"),
            section(
                "You're not set up in Debrief yet. Ask a Debrief owner to add you as a member."
            ),
        ]
    )


def _recovery_line(row: Recovery) -> str:
    change = "" if row.change is None else f" · *{row.change:+.2f}*"
    return (
        f"• {_name(row.agent)}: {recovery_figures(row)}{change} · coached since "
        f"{slack_date(row.first_note_at)}"
    )


def team_home(view: TeamView, *, window_days: int = 7) -> dict[str, Any]:
    """The lead's home: flagged agents with figures and Coach buttons, follow-ups due this
    week, the QA queue, recent notes, process issues, CSAT recovery, the AI agreement and
    everyone else."""
    return _home(
        [
            *_team_summary(view),
            *_flagged(view, window_days),
            *_follow_ups(view),
            *_qa_queue(view),
            *_recent_notes(view),
            *_process_issues(view),
            *_recovery(view),
            *agreement_section(view.agreement),
            *_everyone_else(view),
        ]
    )


def _team_summary(view: TeamView) -> list[Block]:
    overdue = f" ({view.overdue_total} overdue)" if view.overdue_total else ""
    return [
        header("Your team in Debrief"),
        context(
            f"{_plural(view.agents_total, 'active agent')} · updated "
            f"{slack_date(view.now, '{date_short_pretty} at {time}')} · "
            "type `/coach NAME` anywhere, or use a Coach button below."
        ),
        section(
            f":chart_with_downwards_trend: *{view.flags_total}* flagged · "
            f":calendar: *{view.follow_ups_total}* follow-ups due this week{overdue} · "
            f":inbox_tray: *{view.qa_pending}* QA drafts to review · "
            f":memo: *{view.issues_total}* open process issues"
        ),
        divider(),
    ]


def _flagged(view: TeamView, window_days: int) -> list[Block]:
    blocks = [header(f"Flagged agents ({view.flags_total})")]
    if not view.flags:
        blocks.append(context("No agent's CSAT is sliding right now."))
    for flag in view.flags:
        blocks.append(
            section(
                f"{_name(flag.agent_name)} · flagged {slack_date(flag.raised_at)}\n"
                + trend_figures(flag, window_days),
                accessory=coach_button(flag.agent_id),
            )
        )
    if view.flags_total > len(view.flags):
        blocks.append(
            context(
                f"{view.flags_total - len(view.flags)} more flagged agents, the steepest falls "
                "shown first: find them with the picker at the bottom or `/coach NAME`."
            )
        )
    return blocks


def _follow_ups(view: TeamView) -> list[Block]:
    blocks = [divider(), header(f"Follow-ups due this week ({view.follow_ups_total})")]
    if view.follow_ups:
        lines = (
            f"• {slack_date(fu.due_at)} · {_name(fu.agent_name)} · <@{fu.author}>"
            + (" · :warning: overdue" if fu.overdue else "")
            for fu in view.follow_ups
        )
        blocks.append(section(_lines(lines, view.follow_ups_total, "due this week")))
    else:
        blocks.append(context("Nothing is due before the week is out."))
    return blocks


def _qa_queue(view: TeamView) -> list[Block]:
    return [
        divider(),
        section(
            f"*QA review queue:* {_plural(view.qa_pending, 'draft')} waiting for a lead to "
            "approve, edit or reject."
            if view.qa_pending
            else "*QA review queue:* empty."
        ),
    ]


def _recent_notes(view: TeamView) -> list[Block]:
    blocks = [divider(), header("Recent notes")]
    if view.recent_notes:
        lines = (
            f"• {slack_date(n.created_at)} · {_name(n.agent_name)} by <@{n.author}>"
            + (" · shared" if n.shared else "")
            + f"\n      _{escape(n.excerpt)}_"
            for n in view.recent_notes
        )
        blocks.append(section(_lines(lines, len(view.recent_notes), "notes")))
    else:
        blocks.append(context("No coaching notes yet."))
    return blocks


def _process_issues(view: TeamView) -> list[Block]:
    blocks = [divider(), header(f"Process issues ({view.issues_total} open)")]
    if view.issues:
        lines = (
            f"• *{escape(_KINDS.get(i.kind, i.kind.capitalize()))}* · "
            f"{fit(i.label, LABEL_MAX)} · {_plural(i.count, 'time')}"
            for i in view.issues
        )
        blocks.append(section(_lines(lines, view.issue_groups_total, "topics")))
    else:
        blocks.append(context("No open documentation gaps or other process issues."))
    return blocks


def _recovery(view: TeamView) -> list[Block]:
    blocks = [divider(), header("CSAT recovery")]
    if view.recovery:
        lines = (_recovery_line(r) for r in view.recovery)
        blocks.append(section(_lines(lines, view.recovery_total, "coached agents")))
        blocks.append(
            context(
                f"Average CSAT over the {RECOVERY_WEEKS} weeks before each agent's first "
                f"coaching note → the {RECOVERY_WEEKS} weeks after, with the ratings behind it."
            )
        )
    else:
        blocks.append(context("No agent has a coaching note yet."))
    return blocks


def _cause(cause: str) -> str:
    """A root cause as the QA review labels it."""
    return fit(ROOT_CAUSES.get(cause, cause), NAME_MAX)


def _agreement_summary(view: AgreementView) -> str:
    lines = [
        f"*{_plural(view.decided, 'draft')}* decided · *{percent(view.approved_share)}* "
        f"approved unchanged ({view.approved} approved, {view.edited} edited, "
        f"{view.rejected} rejected)",
        f"*{view.points_removed}* of {_plural(view.points_suggested, 'point')} suggested in "
        "edited drafts removed",
        f"*{_plural(view.root_causes_changed, 'root cause')}* changed"
        + "".join(f" · {_cause(c.before)} → {_cause(c.after)} ({c.count})" for c in view.changes)
        + (
            f" · {view.changes_total - len(view.changes)} more"
            if view.changes_total > len(view.changes)
            else ""
        ),
    ]
    return "\n".join(lines)


def agreement_section(view: AgreementView) -> list[Block]:
    """How far leads agreed with the QA drafts they decided: overall, then per criterion."""
    blocks = [divider(), header(f"AI agreement (last {view.days} days)")]
    if not view.decided:
        blocks.append(
            context(
                f"No QA drafts were decided in the last {view.days} days, so there is no "
                "agreement to show yet."
            )
        )
        return blocks
    blocks.append(section(_agreement_summary(view)))
    blocks.append(section(agreement_table(view)))
    blocks.append(
        context(
            f"QA drafts a lead approved, edited or rejected in the last {view.days} days; "
            "approved unchanged means the lead kept the draft as the AI wrote it; mean |diff| "
            "is the mean difference between the suggested and the final score (a rejected "
            "draft has none)."
        )
    )
    return blocks


TABLE_NAME = 24  # characters of a criterion's name in the table
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # made spaces: one line, nothing unseen


def _table_name(name: str) -> str:
    plain = " ".join(_CONTROL.sub(" ", name.replace("`", "'")).split())
    return plain if len(plain) <= TABLE_NAME else plain[: TABLE_NAME - 1] + "…"


def _table_row(name: str, decided: int, share: float | None, mean: float | None) -> str:
    """One fixed-width row: padded as plain text, then escaped for mrkdwn."""
    diff = "–" if mean is None else f"{mean:.2f}"
    return escape(f"{_table_name(name):<{TABLE_NAME}} {decided:>7} {percent(share):>9} {diff:>11}")


def agreement_table(view: AgreementView) -> str:
    """Per criterion (the capped list) and overall: drafts decided, approved unchanged, mean
    |suggested - final| score, as a fixed-width table (well within a section's 3,000)."""
    rows = [f"{'Criterion':<{TABLE_NAME}} {'Decided':>7} {'Unchanged':>9} {'Mean |diff|':>11}"]
    rows += [_table_row(c.criterion, c.drafts, c.share, c.mean_difference) for c in view.criteria]
    rows.append(_table_row("Overall", view.decided, view.approved_share, view.mean_difference))
    text = "```\n" + "\n".join(rows) + "\n```"
    if view.criteria_total > len(view.criteria):
        text += f"\n_{view.criteria_total - len(view.criteria)} more criteria in `debrief metrics`_"
    return text


def _everyone_else(view: TeamView) -> list[Block]:
    blocks = [divider(), header(f"Everyone else ({view.others_total})")]
    for agent in view.others:
        blocks.append(section(_name(agent.name), accessory=coach_button(agent.id)))
    if view.others_total > len(view.others):
        blocks.append(context(f"{view.others_total - len(view.others)} more agents."))
    if view.agents_total:
        blocks.append(
            section(
                "Coach anyone on the team:",
                accessory={
                    "type": "external_select",
                    "action_id": ActionId.PICK_AGENT,
                    "placeholder": {"type": "plain_text", "text": "Type a name"},
                    "min_query_length": 1,
                },
                block_id=BlockId.PICKER,
            )
        )
    else:
        blocks.append(context("No agents yet: add one with `debrief agents add NAME`."))
    return blocks


def own_home(view: OwnView) -> dict[str, Any]:
    """A member's home: their own record and the notes shared with them, newest first."""
    blocks: list[Block] = [header("Your coaching record")]
    if view.agent_id is None or view.agent_name is None:
        blocks.append(
            section(
                "Your Debrief membership isn't linked to an agent record yet. "
                "Ask a Debrief owner to link it."
            )
        )
        return _home(blocks)
    blocks += [
        section(
            f"{_name(view.agent_name)}", accessory=coach_button(view.agent_id, "Open my record")
        ),
        context("Notes your lead shared with you, newest first."),
        divider(),
    ]
    if not view.notes:
        blocks.append(section("No notes have been shared with you yet."))
    for note in view.notes:
        blocks += _shared_note(note)
    if view.notes_total > len(view.notes):
        blocks.append(
            context(
                f"{view.notes_total - len(view.notes)} older notes: open your record to read them."
            )
        )
    return _home(blocks)


def _shared_note(note: SharedNote) -> list[Block]:
    """A shared note in the member's home: its text, who and when, whether acknowledged, the
    latest replies, and Acknowledge (until it is) and Reply."""
    facts = [f"<@{note.author}>", slack_date(note.created_at)]
    if note.follow_up_at is not None:
        facts.append(f"follow-up {slack_date(note.follow_up_at)}")
    if note.acknowledged_at is not None:
        facts.append(acknowledged_line(note.acknowledged_at))
    blocks = [section(fit(note.body, NOTE_MAX)), context(" · ".join(facts))]
    if note.replies:
        lines = (
            f"• <@{r.author}> replied {slack_date(r.created_at)}: {fit(r.body, REPLY_SHOWN)}"
            for r in note.replies
        )
        blocks.append(section(_lines(lines, note.replies_total, "replies")))
    blocks.append(
        actions(
            shared_note_buttons(
                note.note_id,
                acknowledged=note.acknowledged_at is not None,
                sample_url=note.sample_url,
            ),
            block_id=f"{BlockId.SHARED_NOTE_ACTIONS}.{note.note_id}",
        )
    )
    return blocks
