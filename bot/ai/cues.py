"""Reading a redacted transcript offline: its speaker turns, and the phrase cues (greeting,
empathy, ownership, risks, ...) the offline QA engine finds in them, each a verbatim sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.qa.evidence import MAX_EXCERPT, MIN_EXCERPT

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


# ---------------------------------------------------------------- phrase cues


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


def last_agent_sentence(turns: Sequence[Turn]) -> str | None:
    """The last quotable sentence the agent wrote, or None."""
    for turn in reversed(turns):
        if turn.speaker == "agent" and turn.sentences:
            for i in range(len(turn.sentences) - 1, -1, -1):
                quote = _quotable(turn, i)
                if quote is not None:
                    return quote
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
