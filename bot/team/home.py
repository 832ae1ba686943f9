"""What the App Home shows: the team at a glance for a lead, their own record for a member.

Both views load in a fixed number of statements, however many agents, notes and flags exist:
every list is cut in SQL, with a window count for what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, literal_column, select
from sqlalchemy.orm import Session

from bot.core.errors import NotAMember, OutOfScope
from bot.core.scope import Viewer, viewer_for
from bot.flags.records import OPEN_FLAG
from bot.followups.reminders import excerpt
from bot.insights.agreement import ai_agreement
from bot.privacy.redaction import redact
from bot.qa.review import PENDING_DRAFTS
from bot.team.recovery import Recovery, csat_recovery
from models import Agent, Flag, Note, NoteReply, ProcessIssue, Sample

MAX_FLAGS = 10
MAX_OTHERS = 15
MAX_FOLLOW_UPS = 10
MAX_RECENT_NOTES = 5
MAX_ISSUES = 8
MAX_RECOVERY = 10
MAX_SHARED_NOTES = 15
MAX_REPLIES = 3  # a shared note's latest replies, in the member's home
AGREEMENT_DAYS = 30
MAX_ROOT_CAUSE_CHANGES = 3
MAX_CRITERIA = 8
EXCERPT = 140
_BODY_READ = 600  # a note's first characters are enough for a one-line excerpt


@dataclass(frozen=True)
class TeamFlag:
    """An open flag (neither cleared nor dismissed) with its agent and figures."""

    flag_id: int
    agent_id: int
    agent_name: str
    raised_at: datetime
    baseline: float
    current: float
    slope: float
    tau: float
    p_value: float
    ratings: int
    windows: list[dict[str, Any]]


@dataclass(frozen=True)
class AgentItem:
    """An agent in the compact list, with a Coach button."""

    id: int
    name: str


@dataclass(frozen=True)
class FollowUp:
    """A live note's follow-up, not yet done, due by the end of this week (or overdue)."""

    note_id: int
    agent_id: int
    agent_name: str
    author: str
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class RecentNote:
    """A recent live note with a redacted one-line excerpt."""

    note_id: int
    agent_id: int
    agent_name: str
    author: str
    created_at: datetime
    excerpt: str
    shared: bool


@dataclass(frozen=True)
class IssueGroup:
    """Open process issues of one kind about one topic (or with the same text)."""

    kind: str
    label: str
    count: int


@dataclass(frozen=True)
class RootCauseChange:
    """Edited points whose root cause a lead changed from one to another."""

    before: str
    after: str
    count: int


@dataclass(frozen=True)
class CriterionAgreement:
    """A rubric criterion: the decided drafts that scored it, how many were approved unchanged,
    and the mean |suggested - final| score (None without a final score)."""

    criterion: str
    drafts: int
    approved_unchanged: int
    share: float | None
    mean_difference: float | None = None


@dataclass(frozen=True)
class AgreementView:
    """How far leads agreed with the QA drafts they decided in the last `days` days; the lists
    are capped (the most frequent root-cause changes, criteria by name) with their full counts."""

    days: int
    decided: int
    approved: int
    edited: int
    rejected: int
    approved_share: float | None
    points_suggested: int
    points_removed: int
    root_causes_changed: int
    changes: list[RootCauseChange]
    changes_total: int
    criteria: list[CriterionAgreement]
    criteria_total: int
    mean_difference: float | None = None


@dataclass(frozen=True)
class TeamView:
    """Everything the lead's home shows; each list is capped and carries its full count."""

    now: datetime
    week_end: datetime
    flags: list[TeamFlag]
    flags_total: int
    others: list[AgentItem]
    others_total: int
    follow_ups: list[FollowUp]
    follow_ups_total: int
    overdue_total: int
    qa_pending: int
    recent_notes: list[RecentNote]
    issues: list[IssueGroup]
    issue_groups_total: int
    issues_total: int
    recovery: list[Recovery]
    recovery_total: int
    agreement: AgreementView

    @property
    def agents_total(self) -> int:
        """Active agents: the flagged ones and everyone else."""
        return self.flags_total + self.others_total


@dataclass(frozen=True)
class HomeReply:
    """One of the agent's replies to a note shared with them."""

    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class SharedNote:
    """A note the lead shared with the agent, with the agent's side of it."""

    note_id: int
    author: str
    body: str
    created_at: datetime
    follow_up_at: datetime | None
    sample_url: str | None = None
    seen_at: datetime | None = None
    acknowledged_at: datetime | None = None
    replies: tuple[HomeReply, ...] = ()  # the latest MAX_REPLIES, oldest first
    replies_total: int = 0


@dataclass(frozen=True)
class OwnView:
    """A member's home: their own agent record and the notes shared with them, newest first.

    A member does not see their own flag. A flag is a signal for the lead, who decides whether
    it calls for coaching or is dismissed (leave, queue change, outage); what reaches the agent
    is what the lead chooses to share, as a note. SPEC §6 gives a member their linked record's
    shared notes only, and the flag DM goes to leads only, so the home keeps to the same line.
    """

    agent_id: int | None
    agent_name: str | None
    notes: list[SharedNote]
    notes_total: int


def week_end(now: datetime) -> datetime:
    """The start of next week (Monday 00:00 UTC): what is due before it is due this week."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=7 - day.weekday())


_TOTAL = func.count().over().label("total")
_FLAGS = (
    select(
        Flag.id,
        Flag.agent_id,
        Agent.name,
        Flag.raised_at,
        Flag.baseline,
        Flag.current,
        Flag.slope,
        Flag.tau,
        Flag.p_value,
        Flag.ratings,
        Flag.windows,
        _TOTAL,
    )
    .join(Agent, Agent.id == Flag.agent_id)
    .where(*OPEN_FLAG, Agent.active.is_(True))
    .order_by((Flag.baseline - Flag.current).desc(), Flag.raised_at.desc(), Flag.id.desc())
    .limit(MAX_FLAGS)
)
_OTHERS = (
    select(Agent.id, Agent.name, _TOTAL)
    .where(
        Agent.active.is_(True),
        Agent.id.not_in(select(Flag.agent_id).where(*OPEN_FLAG)),
    )
    .order_by(func.lower(Agent.name), Agent.id)
    .limit(MAX_OTHERS)
)
_FOLLOW_UPS = (
    select(
        Note.id,
        Note.agent_id,
        Agent.name,
        Note.author,
        Note.follow_up_at,
        _TOTAL,
        func.sum(case((Note.follow_up_at < bindparam("now"), 1), else_=0)).over().label("overdue"),
    )
    .join(Agent, Agent.id == Note.agent_id)
    .where(
        Note.archived_at.is_(None),
        Note.follow_up_done_at.is_(None),
        Note.follow_up_at.is_not(None),
        Note.follow_up_at < bindparam("week_end"),
    )
    .order_by(Note.follow_up_at, Note.id)
    .limit(MAX_FOLLOW_UPS)
)
_RECENT_NOTES = (
    select(
        Note.id,
        Note.agent_id,
        Agent.name,
        Note.author,
        Note.created_at,
        func.substr(Note.body, 1, _BODY_READ).label("body"),
        Note.shared_with_agent,
    )
    .join(Agent, Agent.id == Note.agent_id)
    .where(Note.archived_at.is_(None))
    .order_by(Note.created_at.desc(), Note.id.desc())
    .limit(MAX_RECENT_NOTES)
)
# literal bounds: PostgreSQL matches GROUP BY expressions by text, and two bound parameters differ
_ISSUE_LABEL = func.coalesce(
    ProcessIssue.topic,
    func.substr(ProcessIssue.text, literal_column("1"), literal_column(str(_BODY_READ))),
)
_ISSUES = (
    select(
        ProcessIssue.kind,
        _ISSUE_LABEL.label("label"),
        func.count().label("n"),
        func.count().over().label("groups"),
        func.sum(func.count()).over().label("issues"),
    )
    .where(ProcessIssue.resolved_at.is_(None))
    .group_by(ProcessIssue.kind, _ISSUE_LABEL)
    .order_by(literal_column("n").desc(), func.max(ProcessIssue.created_at).desc())
    .limit(MAX_ISSUES)
)


def load_agreement(*, session: Session, now: datetime) -> AgreementView:
    """The AI agreement over the last AGREEMENT_DAYS days, from `ai_agreement` (one statement)."""
    figures = ai_agreement(session=session, since=now - timedelta(days=AGREEMENT_DAYS), now=now)
    changes, criteria = figures["rootCauseChanges"], figures["criteria"]
    return AgreementView(
        days=AGREEMENT_DAYS,
        decided=figures["draftsDecided"],
        approved=figures["approved"],
        edited=figures["edited"],
        rejected=figures["rejected"],
        approved_share=figures["approvedUnchangedShare"],
        points_suggested=figures["pointsSuggested"],
        points_removed=figures["pointsRemoved"],
        root_causes_changed=figures["rootCausesChanged"],
        changes=[
            RootCauseChange(before=c["from"], after=c["to"], count=c["count"])
            for c in changes[:MAX_ROOT_CAUSE_CHANGES]
        ],
        changes_total=len(changes),
        criteria=[
            CriterionAgreement(
                criterion=c["criterion"],
                drafts=c["drafts"],
                approved_unchanged=c["approvedUnchanged"],
                share=c["approvedUnchangedShare"],
                mean_difference=c["meanAbsScoreDifference"],
            )
            for c in criteria[:MAX_CRITERIA]
        ],
        criteria_total=len(criteria),
        mean_difference=figures["meanAbsScoreDifference"],
    )


def load_team_view(*, session: Session, viewer: Viewer, now: datetime) -> TeamView:
    """The lead's home: flags, everyone else, follow-ups due this week, the QA queue, recent
    notes, process issues, CSAT recovery and the AI agreement, in eight statements whatever the
    team's size (SPEC §6: owners and admins read everything, so the view is the whole team)."""
    if not viewer.is_lead:
        raise OutOfScope("The team view is for owners and admins.")
    session.flush()
    connection = session.connection()
    flags = connection.execute(_FLAGS).all()
    others = connection.execute(_OTHERS).all()
    end = week_end(now)
    follow_ups = connection.execute(_FOLLOW_UPS, {"now": now, "week_end": end}).all()
    qa_pending = int(connection.execute(PENDING_DRAFTS).scalar_one())
    notes = connection.execute(_RECENT_NOTES).all()
    issues = connection.execute(_ISSUES).all()
    recovery = csat_recovery(session=session, now=now)
    # agents with ratings on both sides first, then the most recently coached
    recovery.sort(
        key=lambda r: (r.change is not None, r.before_count + r.after_count > 0, r.first_note_at),
        reverse=True,
    )
    return TeamView(
        now=now,
        week_end=end,
        flags=[
            TeamFlag(
                flag_id=row.id,
                agent_id=row.agent_id,
                agent_name=row.name,
                raised_at=row.raised_at,
                baseline=row.baseline,
                current=row.current,
                slope=row.slope,
                tau=row.tau,
                p_value=row.p_value,
                ratings=row.ratings,
                windows=list(row.windows or []),
            )
            for row in flags
        ],
        flags_total=flags[0].total if flags else 0,
        others=[AgentItem(id=row.id, name=row.name) for row in others],
        others_total=others[0].total if others else 0,
        follow_ups=[
            FollowUp(
                note_id=row.id,
                agent_id=row.agent_id,
                agent_name=row.name,
                author=row.author,
                due_at=row.follow_up_at,
                overdue=row.follow_up_at < now,
            )
            for row in follow_ups
        ],
        follow_ups_total=follow_ups[0].total if follow_ups else 0,
        overdue_total=int(follow_ups[0].overdue or 0) if follow_ups else 0,
        qa_pending=qa_pending,
        recent_notes=[
            RecentNote(
                note_id=row.id,
                agent_id=row.agent_id,
                agent_name=row.name,
                author=row.author,
                created_at=row.created_at,
                excerpt=excerpt(row.body or "", EXCERPT),
                shared=bool(row.shared_with_agent),
            )
            for row in notes
        ],
        issues=[
            IssueGroup(kind=row.kind, label=" ".join(str(row.label or "").split()), count=row.n)
            for row in issues
        ],
        issue_groups_total=issues[0].groups if issues else 0,
        issues_total=int(issues[0].issues or 0) if issues else 0,
        recovery=recovery[:MAX_RECOVERY],
        recovery_total=len(recovery),
        agreement=load_agreement(session=session, now=now),
    )


_OWN_AGENT = select(Agent.id, Agent.name).where(Agent.id == bindparam("agent_id"))
_SHARED_NOTES = (
    select(
        Note.id,
        Note.author,
        Note.body,
        Note.created_at,
        Note.follow_up_at,
        Note.seen_at,
        Note.acknowledged_at,
        Sample.url,
        _TOTAL,
    )
    .outerjoin(Sample, Sample.id == Note.sample_id)
    .where(
        Note.agent_id == bindparam("agent_id"),
        Note.archived_at.is_(None),
        Note.shared_with_agent.is_(True),
    )
    .order_by(Note.created_at.desc(), Note.id.desc())
    .limit(MAX_SHARED_NOTES)
)
_RANKED_REPLIES = (
    select(
        NoteReply.note_id,
        NoteReply.author,
        NoteReply.body,
        NoteReply.created_at,
        func.row_number()
        .over(
            partition_by=NoteReply.note_id,
            order_by=(NoteReply.created_at.desc(), NoteReply.id.desc()),
        )
        .label("rn"),
        func.count().over(partition_by=NoteReply.note_id).label("n"),
    )
    .where(NoteReply.note_id.in_(bindparam("note_ids", expanding=True)))
    .subquery()
)
_REPLIES = (
    select(_RANKED_REPLIES)
    .where(_RANKED_REPLIES.c.rn <= MAX_REPLIES)
    .order_by(_RANKED_REPLIES.c.note_id, _RANKED_REPLIES.c.rn.desc())
)


def _replies_by_note(connection: Any, note_ids: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for row in connection.execute(_REPLIES, {"note_ids": note_ids}):
        found.setdefault(row.note_id, []).append(row)
    return found


def load_own_view(*, session: Session, viewer: Viewer, now: datetime) -> OwnView:
    """A member's home: their linked agent, the notes shared with them and the latest replies
    to those notes (three statements).

    Nothing of any other agent is read. A member with no linked agent gets an empty view.
    """
    del now  # the member's home shows no due dates relative to now (yet)
    if viewer.agent_id is None:
        return OwnView(agent_id=None, agent_name=None, notes=[], notes_total=0)
    session.flush()
    connection = session.connection()
    agent = connection.execute(_OWN_AGENT, {"agent_id": viewer.agent_id}).first()
    if agent is None:
        return OwnView(agent_id=None, agent_name=None, notes=[], notes_total=0)
    rows = connection.execute(_SHARED_NOTES, {"agent_id": agent.id}).all()
    replies = _replies_by_note(connection, [row.id for row in rows])
    return OwnView(
        agent_id=agent.id,
        agent_name=agent.name,
        notes=[
            SharedNote(
                note_id=row.id,
                author=row.author,
                body=redact(row.body),
                created_at=row.created_at,
                follow_up_at=row.follow_up_at,
                sample_url=row.url,
                seen_at=row.seen_at,
                acknowledged_at=row.acknowledged_at,
                replies=tuple(
                    HomeReply(author=r.author, body=redact(r.body), created_at=r.created_at)
                    for r in replies.get(row.id, [])
                ),
                replies_total=replies[row.id][0].n if row.id in replies else 0,
            )
            for row in rows
        ],
        notes_total=rows[0].total if rows else 0,
    )


def load_home(*, session: Session, slack_user_id: str, now: datetime) -> TeamView | OwnView | None:
    """What this Slack user's App Home shows: the team (a lead), their own record (a member),
    or None when they aren't set up in Debrief."""
    try:
        viewer = viewer_for(session=session, slack_user_id=slack_user_id)
    except NotAMember:
        return None
    if viewer.is_lead:
        return load_team_view(session=session, viewer=viewer, now=now)
    return load_own_view(session=session, viewer=viewer, now=now)
