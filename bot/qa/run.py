"""`debrief qa run`: sample, apply the stop rules, draft, check evidence, route, store, measure.

What is stored: QaDraft rows (pending, for the lead), QaSkip rows (the stop rule that applied)
and MeasurementEvent rows (a skip is recorded once per rubric version, not on every rerun). Never a transcript: only redacted, verified evidence excerpts of at
most 300 characters, and a redacted summary. One draft per conversation per rubric version.

Events (``MeasurementEvent.kind``), each with ``helpdesk``, ``externalId`` and ``rubricVersion``
in its payload: ``ticket_reviewed`` (every sampled conversation the run looked at, with
``outcome`` drafted or skipped), ``draft_created`` (route, engine, confidence, points),
``draft_skipped`` (reason), ``points_dropped`` (count of points whose evidence did not check
out), ``theme`` (one per queue, tag and point root cause of a draft), ``documentation_gap``
(a documentation point; ``topic`` from the tags or queue), ``policy_escalation`` (a policy
exception or a policy point sent to the lead).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from bot.ai.cues import parse_turns
from bot.ai.qa_drafts import QaEngine
from bot.coaching.transcripts import Redacted, SourceText, from_fields, redacted, transcript_for
from bot.core.errors import DebriefError, InvalidInput
from bot.core.settings import Settings
from bot.ingest.conversations import AgentDirectory
from bot.ingest.importer import read_record_at
from bot.qa import events
from bot.qa.draft import Answer, Draft, DraftRequest, Point, clamp_scores, route_for
from bot.qa.evidence import verify_points
from bot.qa.rubric import RubricSpec, current_rubric, spec_of
from bot.qa.sample import Candidate, choose_sample, from_database, from_file
from models import Conversation, MeasurementEvent, QaDraft, QaSkip, Rubric
from models.base import utcnow

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]
ACTOR = "qa"
WEEK = timedelta(days=7)
DOC_TAG_CUES = ("kb", "article", "doc", "help", "faq", "guide")


class NoApprovedRubric(DebriefError):
    """QA needs an approved rubric first."""

    def __init__(self) -> None:
        super().__init__(
            "no QA rubric is approved yet: an owner or admin approves one with "
            "`debrief rubric approve [FILE] --by U…` (the bundled default without FILE)"
        )


@dataclass(frozen=True)
class Skip:
    """A sampled conversation that got no draft, and the stop rule that applied."""

    helpdesk: str
    external_id: str
    agent: str
    reason: str


@dataclass
class QaReport:
    """What a QA run did."""

    rubric_version: int
    engine: str
    sampled: int = 0
    already_drafted: int = 0
    already_skipped: int = 0
    drafts: list[Draft] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)

    @property
    def dropped_points(self) -> int:
        """Points dropped across the run because their evidence didn't check out."""
        return sum(d.dropped_points for d in self.drafts)


@dataclass(frozen=True)
class _Prepared:
    candidate: Candidate
    request: DraftRequest
    source: Redacted


def stop_reason(
    *, transcript: str | None, missing: str | None, closed_at: datetime, now: datetime,
    settings: Settings,
) -> str | None:  # fmt: skip
    """The stop rule a conversation meets (no draft then), or None. `transcript` is redacted."""
    age = now - closed_at
    if age > timedelta(days=settings.qa_max_age_days):
        return (
            f"stale: closed {age.days} days ago (over DEBRIEF_QA_MAX_AGE_DAYS="
            f"{settings.qa_max_age_days})"
        )
    if not transcript or not transcript.strip():
        return f"no transcript ({missing or 'none was given'})"
    turns = parse_turns(transcript)
    speakers = {t.speaker for t in turns}
    if not speakers & {"customer", "agent"}:
        return "out of scope: no Customer:/Agent: turns, so who said what can't be told apart"
    if "agent" not in speakers:
        return "out of scope: no agent turn (a bot-only or unanswered conversation)"
    if "customer" not in speakers:
        return "out of scope: no customer turn (an outbound or internal conversation)"
    words = len(transcript.split())
    if words < settings.qa_min_words:
        return (
            f"too short to judge: {words} words (fewer than DEBRIEF_QA_MIN_WORDS="
            f"{settings.qa_min_words})"
        )
    return None


def _week_seed(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _existing(session: Session, rubric_id: int, keys: Sequence[tuple[str, str]]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows = session.execute(
            select(QaDraft.helpdesk, QaDraft.external_id).where(
                QaDraft.rubric_id == rubric_id,
                tuple_(QaDraft.helpdesk, QaDraft.external_id).in_(chunk),
            )
        )
        found.update(f"{h}:{e}" for h, e in rows)
    return found


def _skipped_since(
    session: Session, approved_at: datetime, keys: Sequence[tuple[str, str]]
) -> set[str]:
    """Conversations already skipped (a stop rule) since this rubric version was approved."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        rows = session.execute(
            select(QaSkip.helpdesk, QaSkip.external_id).where(
                QaSkip.created_at >= approved_at,
                tuple_(QaSkip.helpdesk, QaSkip.external_id).in_(keys[i : i + 500]),
            )
        )
        found.update(f"{h}:{e}" for h, e in rows)
    return found


def _source(
    candidate: Candidate,
    *,
    file: Path | None,
    conversation: Conversation | None,
    session: Session,
    settings: Settings,
) -> SourceText:
    """The candidate's transcript, from the file it was sampled from or from its conversation."""
    if file is not None and candidate.source_offset is not None:
        fields = read_record_at(file, candidate.source_offset)
        if fields is None:
            return SourceText(None, missing=f"the file {file.name} can't be read again")
        return from_fields(fields, missing="the file has none for it")
    if conversation is None:
        return SourceText(None, missing="the conversation is no longer in the database")
    return transcript_for(session=session, settings=settings, conversation=conversation)


def finish(
    prepared: _Prepared, answer: Answer, *, rubric: RubricSpec, engine: str, threshold: float
) -> Draft:
    """Check evidence (drop and count what fails), clamp scores, route."""
    request = prepared.request
    points, dropped = verify_points(answer.points, request.transcript)
    points = [
        Point(
            text=prepared.source.clean(p.text),
            root_cause=p.root_cause,
            evidence=p.evidence,
        )
        for p in points
    ]
    assert rubric.version is not None
    return Draft(
        helpdesk=request.helpdesk,
        external_id=request.external_id,
        agent=request.agent,
        rubric_version=rubric.version,
        summary=prepared.source.clean(answer.summary),
        scores=clamp_scores(answer.scores, rubric),
        points=tuple(points),
        policy_exception=answer.policy_exception,
        customer_risk=answer.customer_risk,
        confidence=round(answer.confidence, 3),
        route=route_for(
            confidence=answer.confidence,
            risks=answer.customer_risk,
            policy_exception=answer.policy_exception,
            always_review=answer.always_review,
            threshold=threshold,
        ),
        engine=(answer.engine or engine)[:64],
        dropped_points=dropped,
        note=answer.note[:500] if answer.note else None,
    )


def _themes(candidate: Candidate, draft: Draft) -> list[dict[str, str]]:
    themes = []
    if candidate.queue:
        themes.append({"theme": f"queue:{candidate.queue}", "source": "queue"})
    for tag in (candidate.tags or "").split(";"):
        if tag.strip():
            themes.append({"theme": f"tag:{tag.strip()}", "source": "tag"})
    for cause in dict.fromkeys(p.root_cause for p in draft.points):
        themes.append({"theme": f"rootCause:{cause}", "source": "rootCause"})
    return themes


def _doc_topic(candidate: Candidate) -> str:
    tags = [t.strip() for t in (candidate.tags or "").split(";") if t.strip()]
    for tag in tags:
        if any(cue in tag.lower() for cue in DOC_TAG_CUES):
            return tag
    return tags[0] if tags else candidate.queue or "unspecified"


def _events(
    candidate: Candidate, draft: Draft, *, agent_id: int, draft_id: int
) -> list[MeasurementEvent]:
    base: dict[str, Any] = {
        "helpdesk": draft.helpdesk,
        "externalId": draft.external_id,
        "rubricVersion": draft.rubric_version,
    }

    def event(kind: str, **payload: Any) -> MeasurementEvent:
        return MeasurementEvent(
            kind=kind, agent_id=agent_id, draft_id=draft_id, payload={**base, **payload}
        )

    made = [
        event(events.REVIEWED, outcome="drafted", queue=candidate.queue),
        event(
            events.CREATED,
            route=draft.route,
            engine=draft.engine,
            confidence=draft.confidence,
            points=len(draft.points),
            customerRisk=list(draft.customer_risk),
            policyException=draft.policy_exception,
        ),
    ]
    if draft.dropped_points:
        made.append(event(events.POINTS_DROPPED, count=draft.dropped_points))
    made.extend(event(events.THEME, **theme) for theme in _themes(candidate, draft))
    if any(p.root_cause == "documentation" for p in draft.points):
        made.append(event(events.DOC_GAP, topic=_doc_topic(candidate)))
    policy_points = sum(1 for p in draft.points if p.root_cause == "policy")
    if draft.policy_exception or policy_points:
        made.append(
            event(
                events.POLICY,
                policyException=draft.policy_exception,
                policyPoints=policy_points,
            )
        )
    return made


def _store(
    session: Session,
    *,
    rubric_id: int,
    pairs: Sequence[tuple[Candidate, Draft]],
    skips: Sequence[tuple[Candidate, Skip]],
) -> list[Draft]:
    stored: list[Draft] = []
    existing = _existing(
        session, rubric_id, [(c.helpdesk, c.external_id) for c, _ in pairs]
    )  # a concurrent run may have drafted some meanwhile
    for candidate, draft in pairs:
        if candidate.key in existing:
            continue
        agent_id = candidate.agent_id
        assert agent_id is not None  # resolved before drafting
        row = QaDraft(
            helpdesk=draft.helpdesk,
            external_id=draft.external_id,
            agent_id=agent_id,
            rubric_id=rubric_id,
            engine=draft.engine,
            summary=draft.summary,
            scores=[s.to_json() for s in draft.scores],
            points=[p.to_json() for p in draft.points],
            dropped_points=draft.dropped_points,
            policy_exception=draft.policy_exception,
            customer_risk=list(draft.customer_risk),
            confidence=draft.confidence,
            route=draft.route,
            note=draft.note,
        )
        session.add(row)
        session.flush()
        session.add_all(_events(candidate, draft, agent_id=agent_id, draft_id=row.id))
        stored.append(replace(draft, draft_id=row.id))
    for candidate, skip in skips:
        session.add(
            QaSkip(helpdesk=skip.helpdesk, external_id=skip.external_id, reason=skip.reason[:500])
        )
        payload = {
            "helpdesk": skip.helpdesk,
            "externalId": skip.external_id,
            "queue": candidate.queue,
            "reason": skip.reason[:500],
        }
        session.add(
            MeasurementEvent(
                kind=events.REVIEWED,
                agent_id=candidate.agent_id,
                payload={**payload, "outcome": "skipped"},
            )
        )
        session.add(
            MeasurementEvent(kind="draft_skipped", agent_id=candidate.agent_id, payload=payload)
        )
    return stored


def run_qa(
    *,
    session_factory: SessionFactory,
    settings: Settings,
    file: Path | None,
    since: datetime | None,
    engine: QaEngine,
    now: datetime | None = None,
    seed: str | None = None,
) -> QaReport:
    """Draft QA reviews of this week's sample (or of `file`) against the newest approved rubric.

    Without `file`, the sample is drawn from conversations closed since `since` (default: the
    last 7 days). Raises NoApprovedRubric when no rubric is approved; nothing is changed then.
    """
    now = now or utcnow()
    rubric_row, rubric, rubric_id = _approved_rubric(session_factory)
    report = QaReport(rubric_version=rubric_row.version, engine=engine.name)
    file, candidates = _candidates(session_factory, report, file=file, since=since, now=now)
    sample = choose_sample(
        candidates, size=settings.qa_sample_size, seed=seed or _week_seed(since or now)
    )
    report.sampled = len(sample)
    done = _done_before(session_factory, report, rubric_id, rubric_row.approved_at, sample)
    prepared, skips = _prepare(
        session_factory, sample, done, file=file, rubric=rubric, settings=settings, now=now
    )
    answers = engine.answer_many([p.request for p in prepared]) if prepared else []
    pairs = [
        (
            p.candidate,
            finish(p, a, rubric=rubric, engine=engine.name, threshold=settings.qa_min_confidence),
        )
        for p, a in zip(prepared, answers, strict=True)
    ]
    with session_factory() as session:
        report.drafts = _store(session, rubric_id=rubric_id, pairs=pairs, skips=skips)
    report.skipped = [s for _, s in skips]
    return report


def _approved_rubric(session_factory: SessionFactory) -> tuple[Rubric, RubricSpec, int]:
    """The newest approved rubric: its row, its spec and its id; NoApprovedRubric if none."""
    with session_factory() as session:
        rubric_row = current_rubric(session)
        if rubric_row is None:
            raise NoApprovedRubric()
        return rubric_row, spec_of(rubric_row), rubric_row.id


def _candidates(
    session_factory: SessionFactory,
    report: QaReport,
    *,
    file: Path | None,
    since: datetime | None,
    now: datetime,
) -> tuple[Path | None, list[Candidate]]:
    """The resolved `file` and what to sample: its rows (bad ones to the report), or the database."""
    if file is not None:
        file = file.expanduser().resolve()
        if not file.is_file():
            raise InvalidInput("file", f"{file} is not a readable file")
        candidates, report.bad_rows = from_file(file, now=now, since=since)
    else:
        with session_factory() as session:
            candidates = from_database(session, since=since or now - WEEK)
    return file, candidates


def _done_before(
    session_factory: SessionFactory,
    report: QaReport,
    rubric_id: int,
    approved_at: datetime,
    sample: list[Candidate],
) -> set[str]:
    """Keys of the sample already drafted or skipped under this rubric version (counted)."""
    keys = [(c.helpdesk, c.external_id) for c in sample]
    with session_factory() as session:
        done = _existing(session, rubric_id, keys)
        skipped_before = _skipped_since(session, approved_at, keys)
    report.already_drafted = len(done)
    report.already_skipped = len(skipped_before - done)
    done |= skipped_before  # recorded once per rubric version, not on every rerun
    return done


def _prepare(
    session_factory: SessionFactory,
    sample: list[Candidate],
    done: set[str],
    *,
    file: Path | None,
    rubric: RubricSpec,
    settings: Settings,
    now: datetime,
) -> tuple[list[_Prepared], list[tuple[Candidate, Skip]]]:
    """Each sampled conversation not done yet: a draft request, or the stop rule it meets."""
    prepared: list[_Prepared] = []
    skips: list[tuple[Candidate, Skip]] = []
    with session_factory() as session:
        directory = AgentDirectory(session=session, actor=ACTOR) if file is not None else None
        ids = [c.conversation_id for c in sample if c.conversation_id and c.key not in done]
        stored = {  # one query for the sample's conversations, not one per candidate
            c.id: c for c in session.scalars(select(Conversation).where(Conversation.id.in_(ids)))
        }
        for candidate in sample:
            if candidate.key in done:
                continue
            outcome = _prepare_one(
                candidate,
                session=session,
                directory=directory,
                stored=stored,
                file=file,
                rubric=rubric,
                settings=settings,
                now=now,
            )
            if isinstance(outcome, Skip):
                skips.append((candidate, outcome))
            else:
                prepared.append(outcome)
    return prepared, skips


def _prepare_one(
    candidate: Candidate,
    *,
    session: Session,
    directory: AgentDirectory | None,
    stored: dict[int, Conversation],
    file: Path | None,
    rubric: RubricSpec,
    settings: Settings,
    now: datetime,
) -> _Prepared | Skip:
    """One candidate's redacted transcript as a draft request, or why it gets no draft."""
    source, missing = Redacted(None), None
    if candidate.closed_at >= now - timedelta(days=settings.qa_max_age_days):
        raw = _source(
            candidate,
            file=file,
            conversation=stored.get(candidate.conversation_id or 0),
            session=session,
            settings=settings,
        )
        source, missing = redacted(raw), raw.missing  # the raw text goes no further
    text = source.text
    reason = stop_reason(
        transcript=text, missing=missing, closed_at=candidate.closed_at, now=now,
        settings=settings,
    )  # fmt: skip
    if reason is not None or text is None:
        return Skip(
            candidate.helpdesk, candidate.external_id, candidate.agent_name,
            reason or "no transcript",
        )  # fmt: skip
    if candidate.agent_id is None:  # a --file row: its agent, found or created, first
        assert directory is not None
        try:
            found = directory.agent_id(candidate.agent_name, candidate.agent_email, session=session)
        except InvalidInput as exc:  # no model call for a draft nobody could store
            return Skip(candidate.helpdesk, candidate.external_id, candidate.agent_name, str(exc))
        candidate = replace(candidate, agent_id=found)
    request = DraftRequest(
        key=candidate.key,
        helpdesk=candidate.helpdesk,
        external_id=candidate.external_id,
        agent=candidate.agent_name,
        closed_at=candidate.closed_at,
        csat=candidate.csat,
        queue=candidate.queue,
        tags=candidate.tags,
        transcript=text,
        rubric=rubric,
    )
    return _Prepared(candidate, request, source)
