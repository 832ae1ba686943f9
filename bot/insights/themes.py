"""Repeat issue themes: what keeps coming up, by agent, product area, policy gap and KB article.

A theme is a label such as ``agent:Sarah``, ``product:billing``, ``kb:refund-policy``,
``policy:returns``, ``tag:late-delivery``, ``queue:Billing``, ``rootCause:documentation`` or
``documentation · kb:refund-policy`` (a non-agent root cause on a conversation about that
product, article or policy). It is counted once per **conversation** (a note without a sample
is its own unit), so the same conversation seen by a draft, its theme events and its import
tags never counts twice. A theme *repeats* when it is seen on at least two units.

Sources, all stored rows and events in the window (`since` .. `now`):

* QA drafts, through their ``theme`` events (queue and tags of the drafted conversation) and
  the draft row's points: the points the lead kept (``edited_points`` of an edited draft, the
  suggested points otherwise; a rejected draft's points don't count, the lead overrode them).
  An ``agent_behavior`` point gives ``agent:<name>``; any root cause gives ``rootCause:<cause>``;
  a non-agent cause on a tagged conversation also gives ``<cause> · <tag>``.
* Coaching notes written by hand (QA notes come from drafts, already counted): ``agent:<name>``,
  plus the tags of the conversation the note is about.
* The import's tags on conversations of coached or flagged agents that were rated badly
  (CSAT <= 2: an issue, not just a topic), closed in the window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from bot.qa.events import THEME
from bot.qa.review import AGENT_BEHAVIOR, QA_NOTE_PREFIX
from bot.qa.review import root_cause_of as cause_of
from models import Agent, Conversation, DraftStatus, Flag, MeasurementEvent, Note, QaDraft, Sample

REPEAT_AT = 2
LOW_CSAT = 2.0
PREFIXES = {
    "product": "product",
    "kb": "kb",
    "article": "kb",
    "doc": "kb",
    "docs": "kb",
    "policy": "policy",
}
Units = defaultdict[str, set[str]]


def tag_theme(tag: str) -> str | None:
    """A tag as a theme: `product:`, `kb:` (or `article:`/`doc:`) and `policy:` kept, others `tag:`."""
    text = tag.strip().lower()
    if not text:
        return None
    prefix, sep, rest = text.partition(":")
    if sep and prefix.strip() in PREFIXES and rest.strip():
        return f"{PREFIXES[prefix.strip()]}:{rest.strip()}"
    return f"tag:{text}"


def split_tags(tags: str | None) -> list[str]:
    """The import's `;`-separated tags, as themes (order kept, no repeats)."""
    themes = (tag_theme(t) for t in (tags or "").split(";"))
    return list(dict.fromkeys(t for t in themes if t))


def final_points(draft: QaDraft) -> list[dict[str, Any]]:
    """The points that stand: the lead's version, the suggestion, or none if rejected."""
    if draft.status == DraftStatus.REJECTED:
        return []
    if draft.status == DraftStatus.EDITED and draft.edited_points is not None:
        return list(draft.edited_points)
    return list(draft.points or [])


def _specific(tag_themes: Iterable[str]) -> str | None:
    """The conversation's most telling tag for a process issue: KB, policy, product, any."""
    themes = list(tag_themes)
    for prefix in ("kb:", "policy:", "product:"):
        for theme in themes:
            if theme.startswith(prefix):
                return theme
    return themes[0] if themes else None


def _window(column: Any, since: datetime | None, now: datetime) -> Any:
    return column <= now if since is None else (column >= since) & (column <= now)


def theme_units(*, session: Session, since: datetime | None, now: datetime) -> dict[str, set[str]]:
    """Every theme seen in the window, with the units (conversations, notes) it was seen on."""
    units: Units = defaultdict(set)
    names: dict[int, str] = {i: n for i, n in session.execute(select(Agent.id, Agent.name))}
    _add_draft_themes(session, units, names, _draft_slots(session, since, now))
    sampled, coached = _add_note_themes(session, units, names, since, now)
    flagged = set(
        session.scalars(
            select(Flag.agent_id).where(
                or_(_window(Flag.raised_at, since, now), Flag.cleared_at.is_(None)),
                Flag.raised_at <= now,
            )
        )
    )
    people = coached | flagged
    if people:
        _add_low_csat_tags(session, units, people, since, now)
    _add_sampled_tags(session, units, sampled)
    return units


def _draft_slots(
    session: Session, since: datetime | None, now: datetime
) -> dict[int, dict[str, Any]]:
    """QA drafts' theme events in the window, gathered per draft: key, tags, queue, causes."""
    by_draft: dict[int, dict[str, Any]] = {}
    events = session.scalars(
        select(MeasurementEvent)
        .where(MeasurementEvent.kind == THEME, _window(MeasurementEvent.at, since, now))
        .order_by(MeasurementEvent.id)
    )
    for event in events:
        payload = event.payload or {}
        key = f"{payload.get('helpdesk')}:{payload.get('externalId')}"
        slot = by_draft.setdefault(
            event.draft_id if event.draft_id is not None else -event.id,
            {"key": key, "tags": [], "queue": None, "causes": [], "agent_id": event.agent_id},
        )
        theme, source = str(payload.get("theme", "")), payload.get("source")
        if source == "tag":
            tag = tag_theme(theme.removeprefix("tag:"))
            if tag:
                slot["tags"].append(tag)
        elif source == "queue":
            slot["queue"] = theme
        elif source == "rootCause":
            slot["causes"].append(theme.removeprefix("rootCause:"))
    return by_draft


def _add_draft_themes(
    session: Session, units: Units, names: dict[int, str], by_draft: dict[int, dict[str, Any]]
) -> None:
    """QA drafts: their theme events (queue, tags) and the draft rows' standing points."""
    drafts = {
        d.id: d
        for d in session.scalars(
            select(QaDraft).where(QaDraft.id.in_([i for i in by_draft if i > 0]))
        )
    }
    for draft_id, slot in by_draft.items():
        key, tags = slot["key"], list(dict.fromkeys(slot["tags"]))
        draft = drafts.get(draft_id)
        causes = (
            list(dict.fromkeys(cause_of(p) for p in final_points(draft)))
            if draft is not None
            else list(dict.fromkeys(slot["causes"]))
        )
        agent_id = draft.agent_id if draft is not None else slot["agent_id"]
        for theme in tags:
            units[theme].add(key)
        if slot["queue"]:
            units[slot["queue"]].add(key)
        for cause in causes:
            units[f"rootCause:{cause}"].add(key)
            if cause == AGENT_BEHAVIOR:
                if agent_id in names:
                    units[f"agent:{names[agent_id]}"].add(key)
            else:
                topic = _specific(tags)
                if topic:
                    units[f"{cause} · {topic}"].add(key)


def _add_note_themes(
    session: Session, units: Units, names: dict[int, str], since: datetime | None, now: datetime
) -> tuple[set[str], set[int]]:
    """Hand-written notes' `agent:` themes; returns what they're about and the agents coached."""
    coached: set[int] = set()
    notes = session.execute(
        select(Note.id, Note.agent_id, Sample.helpdesk, Sample.external_id)
        .outerjoin(Sample, Sample.id == Note.sample_id)
        .where(
            _window(Note.created_at, since, now),
            Note.archived_at.is_(None),
            or_(Note.idempotency_key.is_(None), ~Note.idempotency_key.startswith(QA_NOTE_PREFIX)),
        )
    ).all()
    sampled: set[str] = set()
    for note_id, agent_id, helpdesk, external_id in notes:
        coached.add(agent_id)
        key = f"{helpdesk}:{external_id}" if helpdesk else f"note:{note_id}"
        if agent_id in names:
            units[f"agent:{names[agent_id]}"].add(key)
        if helpdesk:
            sampled.add(key)
    coached.update(
        session.scalars(
            select(Note.agent_id).where(
                _window(Note.created_at, since, now), Note.archived_at.is_(None)
            )
        )
    )
    return sampled, coached


def _add_low_csat_tags(
    session: Session, units: Units, people: set[int], since: datetime | None, now: datetime
) -> None:
    """The import's tags on badly rated conversations of `people` (coached or flagged agents)."""
    rows = session.execute(
        select(Conversation.helpdesk, Conversation.external_id, Conversation.tags).where(
            Conversation.agent_id.in_(sorted(people)),
            _window(Conversation.closed_at, since, now),
            Conversation.csat <= LOW_CSAT,
            Conversation.tags.is_not(None),
        )
    ).all()
    for helpdesk, external_id, raw in rows:
        for theme in split_tags(raw):
            units[theme].add(f"{helpdesk}:{external_id}")


def _add_sampled_tags(session: Session, units: Units, sampled: set[str]) -> None:
    """The tags of the conversations hand-written notes are about."""
    pairs = sorted({tuple(key.split(":", 1)) for key in sampled})
    for i in range(0, len(pairs), 500):
        for helpdesk, external_id, raw in session.execute(
            select(Conversation.helpdesk, Conversation.external_id, Conversation.tags).where(
                tuple_(Conversation.helpdesk, Conversation.external_id).in_(pairs[i : i + 500]),
                Conversation.tags.is_not(None),
            )
        ).all():
            for theme in split_tags(raw):
                units[theme].add(f"{helpdesk}:{external_id}")


def repeat_themes(
    *, session: Session, since: datetime | None, now: datetime, at_least: int = REPEAT_AT
) -> list[dict[str, Any]]:
    """`[{theme, count}]` of the themes seen on at least `at_least` units, most first."""
    units = theme_units(session=session, since=since, now=now)
    counted = [(theme, len(keys)) for theme, keys in units.items() if len(keys) >= at_least]
    return [
        {"theme": theme, "count": count}
        for theme, count in sorted(counted, key=lambda item: (-item[1], item[0]))
    ]
