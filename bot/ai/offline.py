"""The offline engines, for when no model is configured (or it failed): an honest summary from
the transcript's shape and the ticket's metadata, and a QA draft by phrase checks. Both say they
are offline; every offline QA draft goes to the lead."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.ai.cues import Signals, Turn, last_agent_sentence, parse_turns
from bot.ai.qa_drafts import clip_line
from bot.ai.summaries import SENTENCE, SummaryRequest, at_most_three_sentences, request_facts
from bot.core.text import clip
from bot.qa.draft import MAX_POINTS, MAX_SUMMARY, RISKS, Answer, DraftRequest, Point, Score
from bot.qa.rubric import Criterion

OFFLINE_PREFIX = "Offline summary (no AI engine configured)."
OFFLINE_CONFIDENCE = 0.35


# ---------------------------------------------------------------- summaries


def _turns(transcript: str) -> list[tuple[str, str]]:
    turns = []
    for line in transcript.splitlines():
        speaker, sep, said = line.partition(":")
        if sep and speaker.strip().lower() in ("customer", "agent", "bot") and said.strip():
            turns.append((speaker.strip().lower(), said.strip()))
    return turns


_GREETING = re.compile(
    r"^(hi|hello|hey|good (morning|afternoon|evening)|dear|thanks|thank you)\b", re.I
)


def _substantive_sentence(turns: list[str], limit: int = 160) -> str | None:
    """The customer's first sentence that says something (not a greeting or an introduction)."""
    for turn in turns:
        for sentence in SENTENCE.split(" ".join(turn.split())):
            words = sentence.split()
            if len(words) < 5 or (_GREETING.match(sentence) and len(words) < 8):
                continue
            sentence = sentence.rstrip(".!?")
            return clip(sentence, limit)
    return None


class OfflineSummarizer:
    """No model: an honest summary from the transcript's shape and the ticket's metadata."""

    name = "offline"

    def summarize(self, request: SummaryRequest) -> str:
        """Says it is offline; quotes at most one (redacted) sentence of the customer's."""
        if not request.transcript or not request.transcript.strip():
            return (
                "Offline summary: no transcript was available to summarize "
                f"({request_facts(request)})."
            )
        turns = _turns(request.transcript)
        customer = [said for who, said in turns if who == "customer"]
        agent_turns = sum(1 for who, _ in turns if who == "agent")
        said = _substantive_sentence(customer)
        end = "" if said and said.endswith("…") else "."
        opening = (
            f"The customer wrote: “{said}{end}”" if said else "No customer turn could be read."
        )
        return at_most_three_sentences(
            f"{OFFLINE_PREFIX} {opening} "
            f"{len(turns)} turns, {agent_turns} from the agent ({request_facts(request)})."
        )


# ---------------------------------------------------------------- QA drafts


def _kind(criterion: Criterion) -> str | None:
    """Which heuristic a criterion is scored with, from its key and name."""
    words = f"{criterion.key} {criterion.name}".lower()
    for kind, cues in (
        ("greeting", ("greet", "ownership", "opening", "welcome")),
        ("understanding", ("understand", "discovery", "question", "diagnos")),
        ("accuracy", ("accura", "policy", "correct", "compliance", "knowledge")),
        ("resolution", ("resolution", "resolve", "next step", "closing", "outcome")),
        ("tone", ("tone", "empath", "courtesy", "friendl", "rapport")),
        ("documentation", ("document", "hygiene", "notes", "ticket", "record")),
    ):
        if any(cue in words for cue in cues):
            return kind
    return None


def _fraction(kind: str | None, s: Signals) -> float | None:
    if kind == "greeting":
        return 0.1 + (0.4 if s.greeting else 0) + (0.5 if s.ownership else 0)
    if kind == "understanding":
        return 0.3 + (0.5 if s.question else 0) + (0.2 if s.resolution or s.next_steps else 0)
    if kind == "accuracy":  # accuracy itself can't be checked offline: stay near the middle
        return 0.5 + (0.2 if s.policy else 0) - (0.25 if s.exception else 0)
    if kind == "resolution":
        return 0.1 + (0.5 if s.resolution else 0) + (0.4 if s.next_steps else 0)
    if kind == "tone":
        value = 0.5 + (0.4 if s.empathy else 0) - (0.5 if s.blame else 0)
        return value - (0.25 if s.frustration and not s.empathy else 0)
    if kind == "documentation":
        value = 0.4 + (0.4 if s.next_steps or s.documentation else 0)
        return value - (0.4 if s.asks_private else 0)
    return None


class OfflineEngine:
    """No model: rubric checks by phrase on the redacted transcript and the ticket's metadata.

    Honest about it: the summary says it is offline, confidence is low, and every draft goes to
    the lead. Each point quotes one verbatim sentence of the (redacted) transcript.
    """

    name = "offline"

    def answer(self, request: DraftRequest, *, why: str = "no AI engine") -> Answer:
        """A heuristic draft."""
        turns = parse_turns(request.transcript)
        s = Signals.read(turns)
        scores = []
        for criterion in request.rubric.criteria:
            fraction = _fraction(_kind(criterion), s)
            if fraction is None:
                continue  # a criterion the heuristics can't judge gets no suggested score
            value = round(max(0.0, min(1.0, fraction)) * criterion.scale)
            scores.append(Score(criterion.key, value, criterion.scale))
        points = self._points(turns, s)
        found = [
            name
            for name, hit in (
                ("greeting", s.greeting),
                ("empathy", s.empathy),
                ("ownership", s.ownership),
                ("resolution", s.resolution),
                ("next steps", s.next_steps),
                ("escalation", s.escalation),
                ("policy", s.policy),
                ("product", s.product),
                ("documentation", s.documentation),
                ("wait", s.wait),
            )
            if hit
        ]
        agent_turns = sum(1 for t in turns if t.speaker == "agent")
        summary = (
            f"Offline QA draft (heuristic phrase checks, {why}): a lead should read the "
            f"conversation. {len(turns)} turns, {agent_turns} from the agent "
            f"({request_facts(request)}). "
            f"Signals found: {', '.join(found) if found else 'none'}."
        )
        return Answer(
            summary=clip_line(summary, MAX_SUMMARY),
            scores=tuple(scores),
            points=tuple(points[:MAX_POINTS]),
            policy_exception=s.exception is not None,
            customer_risk=tuple(r for r in RISKS if r in s.risks),
            confidence=OFFLINE_CONFIDENCE,
            always_review=True,
        )

    def answer_many(self, requests: Sequence[DraftRequest]) -> list[Answer]:
        """Each in turn (it is fast)."""
        return [self.answer(r) for r in requests]

    @staticmethod
    def _points(turns: Sequence[Turn], s: Signals) -> list[Point]:
        points: list[Point] = []
        used: set[str] = set()

        def add(text: str, cause: str, evidence: str | None) -> None:
            if evidence is not None and evidence not in used:  # one sentence backs one point
                used.add(evidence)
                points.append(Point(text=text, root_cause=cause, evidence=(evidence,)))

        # Non-agent causes and what a lead must confirm first: a sentence backs one point only.
        add("An exception to policy was offered: a lead must confirm it.", "policy", s.exception)
        add("Policy shaped the outcome: check it is clear and was applied as intended.",
            "policy", s.policy)  # fmt: skip
        add("A product problem (bug, outage or error) drove the contact, not the agent.",
            "product", s.product)  # fmt: skip
        add("Help content is referenced: check the article is accurate and findable.",
            "documentation", s.documentation)  # fmt: skip
        add("The customer mentions waiting or repeated contacts: look at queue pressure.",
            "staffing", s.wait)  # fmt: skip
        add("The agent asked for private data (a card number, a password) the team should not "
            "take in a conversation; coach on what to ask for instead.", "agent_behavior",
            s.asks_private)  # fmt: skip
        add("Blaming or dismissive wording toward the customer; coach on neutral phrasing.",
            "agent_behavior", s.blame)  # fmt: skip
        if s.frustration and not s.empathy:
            add("The customer was frustrated and no apology or acknowledgement followed.",
                "agent_behavior", s.frustration)  # fmt: skip
        add("Acknowledged the customer's situation (keep doing this).", "agent_behavior",
            s.empathy)  # fmt: skip
        add("Took ownership of the next action.", "agent_behavior", s.ownership)
        if not s.resolution and not s.next_steps:
            add("No resolution or concrete next step was stated before the conversation ended.",
                "agent_behavior", last_agent_sentence(turns))  # fmt: skip
        add("The conversation was escalated or handed over: confirm the handover was needed "
            "and explained.", "agent_behavior", s.escalation)  # fmt: skip
        return points
