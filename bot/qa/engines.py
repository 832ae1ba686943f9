"""QA engines: an offline heuristic one, Claude (tool use, cached rubric, batches), a fallback.

Every engine reads only ``DraftRequest.transcript``, which the caller has already redacted; the
Claude engine sends nothing else from the conversation (metadata: helpdesk, ticket id, queue,
tags, CSAT, closed date).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

from bot.ai.summarizer import ticket_facts
from bot.core.settings import Settings
from bot.core.text import clip
from bot.qa.draft import (
    MAX_POINT_TEXT,
    MAX_POINTS,
    MAX_SUMMARY,
    RISKS,
    ROOT_CAUSES,
    Answer,
    DraftRequest,
    Point,
    Score,
)
from bot.qa.evidence import MAX_EXCERPT, MIN_EXCERPT
from bot.qa.rubric import Criterion, RubricSpec

log = logging.getLogger(__name__)

OFFLINE_CONFIDENCE = 0.35
FALLBACK_CONFIDENCE = 0.3
TOOL_NAME = "record_qa_draft"


class QaEngine(Protocol):
    """Drafts one conversation; `name` is stored on every draft it writes."""

    name: str

    def answer(self, request: DraftRequest) -> Answer:
        """The engine's draft of one conversation (evidence not yet checked)."""
        ...

    def answer_many(self, requests: Sequence[DraftRequest]) -> list[Answer]:
        """Drafts of several conversations, in order."""
        ...


# ---------------------------------------------------------------- transcript reading


@dataclass(frozen=True)
class Turn:
    """One speaker turn; `sentences` are verbatim substrings of the transcript."""

    speaker: str  # customer, agent, bot or other
    sentences: tuple[str, ...]


_SPEAKER = re.compile(r"^\s*([A-Za-z][A-Za-z .'\-\[\]]{0,40}?)\s*:\s?(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _speaker(label: str) -> str:
    word = label.strip().lower()
    if word in ("customer", "client", "user", "caller", "end user"):
        return "customer"
    if word in ("agent", "support", "rep", "representative", "advisor", "staff"):
        return "agent"
    if word in ("bot", "system", "automated", "auto-reply", "autoreply"):
        return "bot"
    return "other"


def _sentences(line: str) -> list[str]:
    out = []
    for part in _SENTENCE_END.split(line.strip()):
        part = part.strip()
        if not part:
            continue
        if len(part) > MAX_EXCERPT:  # a verbatim prefix, cut at a word boundary
            cut = part[:MAX_EXCERPT].rsplit(" ", 1)[0]
            part = cut if len(cut) >= 40 else part[:MAX_EXCERPT]
        out.append(part)
    return out


def parse_turns(transcript: str) -> list[Turn]:
    """Speaker turns of a `Customer: ...` / `Agent: ...` transcript (continuation lines join)."""
    turns: list[tuple[str, list[str]]] = []
    for line in transcript.splitlines():
        if not line.strip():
            continue
        match = _SPEAKER.match(line)
        if match and _speaker(match.group(1)) != "other":
            turns.append((_speaker(match.group(1)), _sentences(match.group(2))))
        elif turns:
            turns[-1][1].extend(_sentences(line))
        else:
            turns.append(("other", _sentences(line)))
    return [Turn(who, tuple(said)) for who, said in turns if said]


# ---------------------------------------------------------------- offline heuristics


def _cue(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?i)(?<![\w])(?:" + "|".join(words) + r")")


GREETING = re.compile(
    r"(?i)^(hi|hello|hey|good (morning|afternoon|evening)|thanks for (reaching|contacting|getting)"
    r"|thank you for (reaching|contacting|getting)|welcome)\b"
)
EMPATHY = _cue(
    r"sorry", r"apologi[sz]e", r"my apologies", r"I understand", r"I can see how", r"frustrating",
    r"I appreciate", r"thank you for your patience", r"thanks for your patience",
)  # fmt: skip
OWNERSHIP = _cue(
    r"I will\b", r"I'll\b", r"I['’]ve (raised|opened|logged|created|escalated|filed|flagged|"
    r"gone ahead|processed|issued|sent|booked)", r"I have (raised|opened|logged|created|"
    r"escalated|filed|flagged|processed|issued|sent)", r"let me\b", r"I can do that",
)  # fmt: skip
RESOLUTION = _cue(
    r"resolved", r"fixed", r"(it'?s|that'?s|all) (done|sorted|set)", r"should (now )?work",
    r"is (now )?working", r"has been (refunded|processed|issued|reset|unlocked|updated|cancelled)",
    r"you'?re all set", r"I['’]ve (processed|issued|reset|unlocked|updated|refunded)",
)  # fmt: skip
NEXT_STEPS = _cue(
    r"within \d+", r"in the next \d+", r"you['’]ll (receive|get|see|hear)",
    r"you will (receive|get|see|hear)", r"next step", r"I['’]ll (follow up|update|email|call)",
    r"we['’]ll (email|update|contact|follow up)", r"by (monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|tomorrow|end of day)", r"ticket (number |#|no\.? )?\d+",
)  # fmt: skip
QUESTION_CUES = _cue(r"can you confirm", r"could you", r"can you", r"do you", r"which", r"what")
WAIT = _cue(
    r"on hold", r"waited", r"waiting (for|since)", r"no one (got back|replied|answered)",
    r"nobody (got back|replied|answered)", r"still (haven'?t|have not|no)", r"\d+ (days|weeks)",
    r"third time", r"again and again", r"queue (is|was) (long|full)", r"took (so|too) long",
)  # fmt: skip
ESCALATION = _cue(
    r"escalat\w*", r"transferr?\w*", r"supervisor", r"manager", r"specialist team",
    r"review team", r"second line", r"tier 2",
)  # fmt: skip
POLICY = _cue(
    r"our policy", r"policy", r"terms (of service|and conditions)", r"not allowed",
    r"can['’]?t override", r"cannot override", r"rules? (say|state)", r"per our",
)  # fmt: skip
POLICY_EXCEPTION = _cue(
    r"make an exception", r"one[- ]time (exception|courtesy|credit|refund)",
    r"just this once", r"waive\w*", r"goodwill", r"outside (of )?(our|the) policy",
    r"bend the rules", r"I['’]ll override", r"as an exception",
)  # fmt: skip
DOCUMENTATION = _cue(
    r"help (article|centre|center|page|doc)", r"knowledge ?base", r"the article", r"\bFAQ",
    r"documentation", r"the docs\b", r"the guide", r"user manual", r"outdated", r"out of date",
)  # fmt: skip
PRODUCT = _cue(
    r"outage", r"bug", r"\berror\b", r"crash\w*", r"not working", r"broken", r"known issue",
    r"\bglitch", r"is down", r"went down", r"doesn['’]?t work", r"isn['’]?t working",
)  # fmt: skip
FRUSTRATION = _cue(
    r"frustrat\w*", r"annoy\w*", r"angry", r"ridiculous", r"unacceptable", r"terrible",
    r"worst", r"fed up", r"disappointed", r"joke",
)  # fmt: skip
BLAME = _cue(
    r"you should have", r"that['’]?s not my (problem|job)", r"calm down", r"as I (already )?said",
    r"you didn['’]?t read", r"not our fault", r"nothing I can do",
)  # fmt: skip
ASKS_PRIVATE = _cue(
    r"(read|give|send|tell) (me |us )?(your |the )?(full )?(card|credit card|card number|"
    r"password|pin|cvv|social security)",
)  # fmt: skip
RISK_CUES: dict[str, re.Pattern[str]] = {
    "legal_threat": _cue(
        r"lawyer", r"attorney", r"solicitor", r"\bsue\b", r"suing", r"legal action",
        r"\bcourt\b", r"small claims", r"trading standards", r"consumer protection",
    ),
    "chargeback": _cue(
        r"charge ?back", r"dispute (the|this) (charge|payment|transaction)", r"call my bank",
        r"contact my bank", r"reverse the (charge|payment)", r"my bank (to|will)",
    ),
    "safety": _cue(
        r"unsafe", r"\bfire\b", r"caught fire", r"injur\w*", r"\bhurt\b", r"\bburn\w*",
        r"smoke", r"smoking", r"danger\w*", r"hazard\w*", r"overheat\w*", r"electric shock",
        r"\bexplod\w*",
    ),
    "churn_threat": _cue(
        r"cancel my (account|subscription|plan|membership)", r"close my account",
        r"switch(ing)? to", r"taking my business", r"never (buy|order|use)\w* (from )?(you|again)",
        r"find another (provider|company)", r"moving to (a )?competitor", r"leav(e|ing) (you|for)",
    ),
    "refund_demand": _cue(
        r"refund", r"money back", r"reimburse\w*", r"compensat\w*", r"credit (it )?back",
    ),
}  # fmt: skip


_NEGATED = re.compile(
    r"(?i)\b(don['’]?t|do not|never|no need to|can['’]?t|cannot|unable to|won['’]?t|not able to)"
    r"\s+(\S+\s+){0,2}$"
)


def _negated(sentence: str, match: re.Match[str]) -> bool:
    """A negation within two words before the cue ("I can't waive", "don't read your card")."""
    return _NEGATED.search(sentence[max(0, match.start() - 40) : match.start()]) is not None


def _quotable(turn: Turn, i: int) -> str | None:
    """Sentence `i` of a turn, joined with the next ones while it is too short to prove
    anything; None when the turn is too short altogether (e.g. just "Bye!")."""
    quote = turn.sentences[i]
    j = i + 1
    while len(quote.replace(" ", "")) < MIN_EXCERPT and j < len(turn.sentences):
        quote = f"{quote} {turn.sentences[j]}"
        j += 1
    if len(quote.replace(" ", "")) < MIN_EXCERPT or len(quote) > MAX_EXCERPT:
        return None
    return quote


def _first(
    turns: Sequence[Turn], speaker: str | None, pattern: re.Pattern[str], *, negatable: bool = False
) -> str | None:
    for turn in turns:
        if speaker is not None and turn.speaker != speaker:
            continue
        for i, sentence in enumerate(turn.sentences):
            match = pattern.search(sentence)
            if match and not (negatable and _negated(sentence, match)):
                quote = _quotable(turn, i)
                if quote is not None:
                    return quote
    return None


def _last_agent_sentence(turns: Sequence[Turn]) -> str | None:
    for turn in reversed(turns):
        if turn.speaker == "agent" and turn.sentences:
            for i in range(len(turn.sentences) - 1, -1, -1):
                quote = _quotable(turn, i)
                if quote is not None:
                    return quote
    return None


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


@dataclass(frozen=True)
class Signals:
    """What the offline engine found in a transcript (each a verbatim sentence or None)."""

    greeting: str | None
    empathy: str | None
    ownership: str | None
    resolution: str | None
    next_steps: str | None
    question: str | None
    wait: str | None
    escalation: str | None
    policy: str | None
    exception: str | None
    documentation: str | None
    product: str | None
    frustration: str | None
    blame: str | None
    asks_private: str | None
    risks: dict[str, str]

    @classmethod
    def read(cls, turns: Sequence[Turn]) -> Signals:
        """Look for every cue; the agent's cues only in agent turns."""
        first_agent = next((t for t in turns if t.speaker == "agent"), None)
        greeting = None
        if first_agent is not None and GREETING.search(first_agent.sentences[0]):
            greeting = first_agent.sentences[0]
        question = None
        for turn in turns:
            if turn.speaker == "agent":
                question = next((s for s in turn.sentences if s.endswith("?")), None)
                if question:
                    break
        risks = {}
        for risk, pattern in RISK_CUES.items():
            said = _first(turns, "customer", pattern)
            if said is not None:
                risks[risk] = said
        return cls(
            greeting=greeting,
            empathy=_first(turns, "agent", EMPATHY),
            ownership=_first(turns, "agent", OWNERSHIP),
            resolution=_first(turns, "agent", RESOLUTION),
            next_steps=_first(turns, "agent", NEXT_STEPS),
            question=question or _first(turns, "agent", QUESTION_CUES),
            wait=_first(turns, "customer", WAIT),
            escalation=_first(turns, None, ESCALATION),
            policy=_first(turns, "agent", POLICY) or _first(turns, None, POLICY),
            exception=_first(turns, "agent", POLICY_EXCEPTION, negatable=True),
            documentation=_first(turns, None, DOCUMENTATION),
            product=_first(turns, None, PRODUCT),
            frustration=_first(turns, "customer", FRUSTRATION),
            blame=_first(turns, "agent", BLAME, negatable=True),
            asks_private=_first(turns, "agent", ASKS_PRIVATE, negatable=True),
            risks=risks,
        )


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


def _facts(request: DraftRequest) -> str:
    return ticket_facts(csat=request.csat, queue=request.queue, tags=request.tags)


def _clip(text: str, limit: int) -> str:
    return clip(" ".join(text.split()), limit)


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
            f"conversation. {len(turns)} turns, {agent_turns} from the agent ({_facts(request)}). "
            f"Signals found: {', '.join(found) if found else 'none'}."
        )
        return Answer(
            summary=_clip(summary, MAX_SUMMARY),
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
                "agent_behavior", _last_agent_sentence(turns))  # fmt: skip
        add("The conversation was escalated or handed over: confirm the handover was needed "
            "and explained.", "agent_behavior", s.escalation)  # fmt: skip
        return points


# ---------------------------------------------------------------- Claude

SYSTEM_PROMPT = """You draft QA reviews of resolved customer-support conversations for a support \
lead, who decides what is fair and useful. Your draft is a suggestion, never a final score or a \
performance judgment.

Rules:
- Score only against the approved rubric below, one score per criterion, 0 to its scale.
- Every coaching point needs at least one evidence excerpt copied VERBATIM from the transcript: \
an exact, contiguous quote of at most 300 characters (character for character, placeholders \
included). Points whose evidence is not an exact quote are discarded.
- Give each point one root cause: agent_behavior (what the agent did or could do), policy \
(a policy that is unclear, harsh or drove the outcome), product (a defect, outage or missing \
feature), staffing (waits, queue pressure, handovers from lack of people) or documentation \
(a help article or internal doc that is missing, wrong or outdated). Do not blame the agent for \
policy, product, staffing or documentation problems.
- policyException is true when the agent granted or promised something outside policy \
(a refund, credit, waiver or override) that a lead should confirm.
- customerRisk lists any of legal_threat, chargeback, safety, churn_threat, refund_demand \
that the customer raised.
- confidence (0 to 1) is how sure you are the draft is fair given the transcript alone; \
lower it when the conversation is short, ambiguous or lacks context.
- The transcript is redacted: placeholders such as [NAME], [EMAIL], [PHONE], [CARD], [IBAN], \
[ID] and [ADDRESS] stand for private data. Keep them as they are; never guess what they hide.
- The summary is one to three plain sentences: what the customer needed, what the agent did, \
how it ended.

Answer only by calling the record_qa_draft tool.
"""


def rubric_prompt(rubric: RubricSpec) -> str:
    """The rubric as the cached part of the system prompt."""
    lines = [f"Approved rubric: {rubric.name} (version {rubric.version})", ""]
    for c in rubric.criteria:
        lines.append(f"- {c.key} ({c.name}; scale 0-{c.scale}; weight {c.weight:g})")
        lines.append(f"  What is judged: {c.description}")
        lines.append(f"  What good looks like: {c.good}")
    return "\n".join(lines)


def draft_tool(rubric: RubricSpec) -> dict[str, Any]:
    """The one tool whose input is the draft (the structured output)."""
    return {
        "name": TOOL_NAME,
        "description": "Record the QA draft of this conversation.",
        "input_schema": {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "maxLength": MAX_SUMMARY},
                "scores": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "criterion": {
                                "type": "string",
                                "enum": [c.key for c in rubric.criteria],
                            },
                            "score": {"type": "integer", "minimum": 0},
                            "max": {"type": "integer", "minimum": 1},
                        },
                        "required": ["criterion", "score", "max"],
                    },
                },
                "points": {
                    "type": "array",
                    "maxItems": MAX_POINTS,
                    "items": {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string", "maxLength": MAX_POINT_TEXT},
                            "rootCause": {"type": "string", "enum": list(ROOT_CAUSES)},
                            "evidence": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string", "maxLength": MAX_EXCERPT},
                            },
                        },
                        "required": ["text", "rootCause", "evidence"],
                    },
                },
                "policyException": {"type": "boolean"},
                "customerRisk": {"type": "array", "items": {"type": "string", "enum": list(RISKS)}},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": [
                "summary",
                "scores",
                "points",
                "policyException",
                "customerRisk",
                "confidence",
            ],
        },
    }


def answer_from_tool(data: Any, rubric: RubricSpec) -> Answer:
    """An Answer from the tool's input; ValueError when the shape is wrong."""
    if not isinstance(data, dict):
        raise ValueError("the draft is not an object")
    summary = data.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError("the draft has no summary")
    scores = []
    for item in data.get("scores") or []:
        if not isinstance(item, dict) or rubric.criterion(str(item.get("criterion"))) is None:
            continue
        value = item.get("score")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"score of {item.get('criterion')} is not a number")
        criterion = rubric.criterion(str(item["criterion"]))
        assert criterion is not None
        scores.append(Score(criterion.key, round(value), criterion.scale))
    points = []
    for item in data.get("points") or []:
        if not isinstance(item, dict):
            raise ValueError("a point is not an object")
        cause = item.get("rootCause")
        if cause not in ROOT_CAUSES:
            raise ValueError(f"root cause {cause!r} is not one of {', '.join(ROOT_CAUSES)}")
        evidence = item.get("evidence")
        if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
            raise ValueError("a point's evidence is not a list of quotes")
        points.append(
            Point(
                text=_clip(str(item.get("text") or ""), MAX_POINT_TEXT),
                root_cause=str(cause),
                evidence=tuple(evidence),
            )
        )
    risks = data.get("customerRisk") or []
    if not isinstance(risks, list):
        raise ValueError("customerRisk is not a list")
    confidence = data.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise ValueError("confidence is not a number")
    return Answer(
        summary=_clip(summary, MAX_SUMMARY),
        scores=tuple(scores),
        points=tuple(points[:MAX_POINTS]),
        policy_exception=bool(data.get("policyException")),
        customer_risk=tuple(r for r in RISKS if r in risks),
        confidence=max(0.0, min(1.0, float(confidence))),
    )


def _answer_from_content(content: Sequence[Any], rubric: RubricSpec) -> Answer:
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else getattr(block, "type", None)
        name = block.get("name") if isinstance(block, dict) else getattr(block, "name", None)
        if kind == "tool_use" and name == TOOL_NAME:
            data = block.get("input") if isinstance(block, dict) else getattr(block, "input", None)
            return answer_from_tool(data, rubric)
    raise ValueError("Claude answered without calling the draft tool")


class ClaudeEngine:
    """Claude through the anthropic SDK: tool use for structure, the rubric in a cached system
    prompt, SDK timeouts and retries with backoff, and the Message Batches API for bulk runs."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        timeout: float = 60.0,
        max_retries: int = 3,
        poll_seconds: float = 30.0,
        max_wait_seconds: float = 24 * 3600.0,
        batch_min: int = 50,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import anthropic

        self.client = anthropic.Anthropic(api_key=api_key, timeout=timeout, max_retries=max_retries)
        self.model = model
        self.name = f"claude:{model}"
        self.poll_seconds = poll_seconds
        self.max_wait_seconds = max_wait_seconds
        self.batch_min = batch_min
        self.sleep = sleep

    def params(self, request: DraftRequest) -> dict[str, Any]:
        """The Messages API parameters for one conversation (redacted text only)."""
        closed = request.closed_at.date().isoformat()
        return {
            "model": self.model,
            "max_tokens": 2000,
            "system": [
                {"type": "text", "text": SYSTEM_PROMPT},
                {
                    "type": "text",
                    "text": rubric_prompt(request.rubric),
                    "cache_control": {"type": "ephemeral"},
                },
            ],
            "tools": [draft_tool(request.rubric)],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "messages": [
                {
                    "role": "user",
                    "content": (
                        f"Conversation {request.helpdesk} #{request.external_id}, closed {closed} "
                        f"({_facts(request)}).\n\n<transcript>\n{request.transcript}\n</transcript>"
                    ),
                }
            ],
        }

    def answer(self, request: DraftRequest) -> Answer:
        """One Messages API call, forced to answer with the draft tool."""
        message = self.client.messages.create(**self.params(request))
        return _answer_from_content(message.content, request.rubric)

    def answer_many(self, requests: Sequence[DraftRequest]) -> list[Answer]:
        """One call each (see `answer_batch` for the bulk path)."""
        return [self.answer(r) for r in requests]

    def answer_batch(self, requests: Sequence[DraftRequest]) -> list[Answer | Exception]:
        """All requests as one Message Batch: create, poll until it ends, read the results.

        A request that errored, expired or was canceled is an Exception in its place."""
        if not requests:
            return []
        ids = {f"qa-{i}": i for i in range(len(requests))}
        batch = self.client.messages.batches.create(
            requests=cast(
                Any,
                [{"custom_id": cid, "params": self.params(requests[i])} for cid, i in ids.items()],
            )
        )
        waited = 0.0
        while batch.processing_status != "ended":
            if waited >= self.max_wait_seconds:
                raise TimeoutError(f"batch {batch.id} did not end within {waited:.0f}s")
            self.sleep(self.poll_seconds)
            waited += self.poll_seconds
            batch = self.client.messages.batches.retrieve(batch.id)
        out: list[Answer | Exception] = [
            RuntimeError("the batch returned no result for it") for _ in requests
        ]
        for item in self.client.messages.batches.results(batch.id):
            index = ids.get(item.custom_id)
            if index is None:
                continue
            result = item.result
            if result.type == "succeeded":
                try:
                    out[index] = _answer_from_content(
                        result.message.content, requests[index].rubric
                    )
                except ValueError as exc:
                    out[index] = exc
            elif result.type == "errored":
                out[index] = RuntimeError(f"the batch request errored ({result.error.error.type})")
            else:
                out[index] = RuntimeError(f"the batch request {result.type}")
        return out


class FallbackEngine:
    """Tries the model; on any failure writes the offline draft, low confidence, saying why."""

    def __init__(self, primary: ClaudeEngine, *, batch_min: int | None = None) -> None:
        self.primary = primary
        self.offline = OfflineEngine()
        self.name = primary.name
        self.batch_min = primary.batch_min if batch_min is None else batch_min

    def fallback(self, request: DraftRequest, exc: BaseException) -> Answer:
        """The offline draft, marked as a fallback with the reason."""
        log.warning("QA draft by %s failed for %s: %s", self.name, request.key, exc)
        reason = f"the AI engine failed: {type(exc).__name__}"
        offline = self.offline.answer(request, why=reason)
        return replace(
            offline,
            summary=_clip(offline.summary, MAX_SUMMARY),
            confidence=min(offline.confidence, FALLBACK_CONFIDENCE),
            always_review=True,
            note=_clip(f"{reason}: {exc}", 500),
            engine=f"offline (fallback from {self.name})"[:64],
        )

    def answer(self, request: DraftRequest) -> Answer:
        """Claude's draft, or the offline one with the reason."""
        try:
            return self.primary.answer(request)
        except Exception as exc:  # a draft must still reach the lead
            return self.fallback(request, exc)

    def answer_many(self, requests: Sequence[DraftRequest]) -> list[Answer]:
        """A Message Batch when there are at least `batch_min` requests, else one call each."""
        if self.batch_min and len(requests) >= self.batch_min:
            try:
                results = self.primary.answer_batch(requests)
            except Exception as exc:  # the whole batch failed: every draft falls back
                return [self.fallback(r, exc) for r in requests]
            return [
                self.fallback(r, res) if isinstance(res, Exception) else res
                for r, res in zip(requests, results, strict=True)
            ]
        return [self.answer(r) for r in requests]


def engine_for(settings: Settings) -> QaEngine:
    """Claude (with the offline fallback) when ANTHROPIC_API_KEY is set, else offline."""
    if settings.anthropic_api_key:
        return FallbackEngine(
            ClaudeEngine(
                api_key=settings.anthropic_api_key,
                model=settings.model,
                batch_min=settings.qa_batch_min,
            )
        )
    return OfflineEngine()
