"""Evidence checks, routing, stop rules, the offline engine and the sample, without a database."""

from __future__ import annotations

from datetime import timedelta

import pytest

import bot.qa.draft as draft_module
import bot.qa.review as review
from bot.ai.cues import parse_turns
from bot.ai.offline import OfflineEngine
from bot.coaching.transcripts import Redacted
from bot.core.settings import Settings
from bot.privacy.redaction import redact
from bot.qa.draft import Answer, DraftRequest, Point, Score, route_for
from bot.qa.evidence import MAX_EXCERPT, check_excerpt, verify_points
from bot.qa.rubric import default_rubric_path, load_rubric_file
from bot.qa.run import _Prepared, finish, stop_reason
from bot.qa.sample import Candidate, choose_sample
from tests.qa.conftest import BOT_ONLY, CLEAN, CUSTOMER, EMAIL, NOW, RISKY, SECRETS, SHORT

RUBRIC = load_rubric_file(default_rubric_path())[0]
SPEC = RUBRIC.__class__(name=RUBRIC.name, criteria=RUBRIC.criteria, version=1)
TEXT = "Customer: My order  never\narrived.\nAgent: I'm sorry, I will resend it today."


def request_for(transcript: str, **extra) -> DraftRequest:
    redacted = redact(transcript, customer_names=[CUSTOMER], customer_emails=[EMAIL])
    base = dict(
        key="zendesk:1", helpdesk="zendesk", external_id="1", agent="Becky Ortiz",
        closed_at=NOW, csat=2.0, queue="Billing", tags="billing", transcript=redacted,
        rubric=SPEC,
    )  # fmt: skip
    return DraftRequest(**{**base, **extra})


def test_an_excerpt_must_be_verbatim_whitespace_aside():
    assert check_excerpt("I will resend it today.", TEXT) == "I will resend it today."
    # Whitespace may differ (a model re-flows a quote across lines); the stored text is the
    # transcript's own.
    assert check_excerpt("My order never arrived.", TEXT) == "My order  never\narrived."
    assert check_excerpt("I will resend it tomorrow.", TEXT) is None  # fabricated
    assert check_excerpt("i will resend it today.", TEXT) is None  # no case folding
    assert check_excerpt("I’m sorry, I will", TEXT) is None  # no quote-mark folding
    assert check_excerpt("sorry", TEXT) is None  # too short to prove anything
    long = "Agent: " + "word " * 100
    assert check_excerpt("word " * 70, long) is None  # over 300 characters


def test_a_point_with_a_fabricated_quote_is_dropped_and_counted():
    points = [
        Point("Good ownership", "agent_behavior", ("I will resend it today.",)),
        Point("Invented", "agent_behavior", ("I will refund you twice over.",)),
        Point("Half invented", "product", ("My order never arrived.", "The app crashed.")),
        Point("No evidence", "staffing", ()),
    ]
    kept, dropped = verify_points(points, TEXT)
    assert [p.text for p in kept] == ["Good ownership"] and dropped == 3


def test_routing():
    def route(confidence=0.9, risks=(), exception=False, always=False):
        return route_for(
            confidence=confidence, risks=risks, policy_exception=exception,
            always_review=always, threshold=0.7,
        )  # fmt: skip

    assert route() == "ready"
    assert route(confidence=0.69) == "lead_review"
    assert route(risks=("chargeback",)) == "lead_review"
    assert route(exception=True) == "lead_review"
    assert route(always=True) == "lead_review"


def test_a_clean_confident_answer_is_ready_and_a_risky_one_goes_to_the_lead():
    request = request_for(CLEAN)
    quote = "I've updated the address for you and the order is now set to ship tomorrow."
    answer = Answer(
        summary="Address changed.", scores=(Score("resolution", 9, 4), Score("bogus", 1, 4)),
        points=(Point("Resolved it", "agent_behavior", (quote,)),), policy_exception=False,
        customer_risk=(), confidence=0.9,
    )  # fmt: skip
    prepared = _Prepared(None, request, Redacted(CLEAN, (CUSTOMER,), (EMAIL,)))  # type: ignore[arg-type]
    draft = finish(prepared, answer, rubric=SPEC, engine="claude:x", threshold=0.7)
    assert draft.route == "ready" and draft.points[0].evidence == (quote,)
    assert [s.to_json() for s in draft.scores] == [
        {"criterion": "resolution", "score": 4, "max": 4}
    ]
    risky = finish(
        prepared, Answer(**{**answer.__dict__, "customer_risk": ("legal_threat",)}),
        rubric=SPEC, engine="claude:x", threshold=0.7,
    )  # fmt: skip
    assert risky.route == "lead_review"


def test_offline_engine_flags_risks_and_quotes_the_redacted_transcript():
    request = request_for(RISKY)
    answer = OfflineEngine().answer(request)
    assert set(answer.customer_risk) == {"legal_threat", "chargeback", "refund_demand"}
    assert answer.policy_exception and answer.always_review and answer.confidence < 0.7
    assert answer.summary.startswith("Offline QA draft")
    causes = {p.root_cause for p in answer.points}
    assert {"agent_behavior", "policy"} <= causes
    for point in answer.points:
        assert point.evidence and all(e in request.transcript for e in point.evidence)
        assert all(len(e) <= MAX_EXCERPT for e in point.evidence)
    kept, dropped = verify_points(answer.points, request.transcript)
    assert dropped == 0 and len(kept) == len(answer.points)
    text = repr(answer)
    assert not any(secret in text for secret in SECRETS)
    assert {s.criterion for s in answer.scores} == {c.key for c in SPEC.criteria}


def test_offline_engine_on_a_clean_ticket_still_goes_to_the_lead():
    answer = OfflineEngine().answer(request_for(CLEAN))
    assert answer.customer_risk == () and not answer.policy_exception
    scores = {s.criterion: s.score for s in answer.scores}
    assert scores["resolution"] == 4 and scores["tone_empathy"] >= 3
    prepared = _Prepared(None, request_for(CLEAN), Redacted(CLEAN))  # type: ignore[arg-type]
    assert finish(prepared, answer, rubric=SPEC, engine="offline", threshold=0.7).route == (
        "lead_review"
    )


def test_negated_cues_are_not_counted():
    text = (
        "Customer: I was charged for the premium plan even though I downgraded last month.\n"
        "Agent: Please don't read card numbers out to us. I can't waive the fee myself, but "
        "I've raised a fee review with billing as ticket 4411."
    )
    answer = OfflineEngine().answer(request_for(text))
    assert not answer.policy_exception
    assert all("card numbers" not in e for p in answer.points for e in p.evidence)


@pytest.mark.parametrize(
    ("transcript", "age", "words"),
    [
        (None, 1, "no transcript"),
        (CLEAN, 200, "stale: closed 200 days ago"),
        (BOT_ONLY, 1, "no agent turn"),
        (
            "Agent: We have shipped the replacement unit today and it will arrive soon, "
            "no action is needed on your side at all, thanks for your patience with us.",
            1,
            "no customer turn",
        ),
        ("just some notes without any speakers at all " * 5, 1, "who said what"),
        (SHORT, 1, "too short to judge"),
    ],
)
def test_stop_rules_give_a_reason(transcript, age, words):
    reason = stop_reason(
        transcript=transcript, missing=None, closed_at=NOW - timedelta(days=age), now=NOW,
        settings=Settings(),
    )  # fmt: skip
    assert reason is not None and words in reason


def test_a_judgeable_transcript_meets_no_stop_rule():
    assert stop_reason(
        transcript=CLEAN, missing=None, closed_at=NOW, now=NOW, settings=Settings()
    ) is None  # fmt: skip


def test_parse_turns_joins_continuation_lines():
    turns = parse_turns("Customer: Hello.\nmore text here.\nAgent: Hi! How can I help?")
    assert [t.speaker for t in turns] == ["customer", "agent"]
    assert turns[0].sentences == ("Hello.", "more text here.")


def _candidate(i: int, agent: str, csat: float, queue: str = "Billing") -> Candidate:
    return Candidate(
        helpdesk="zendesk", external_id=str(i), agent_name=agent, agent_email=None,
        closed_at=NOW - timedelta(hours=i), csat=csat, queue=queue, tags=None,
    )  # fmt: skip


def test_sample_per_queue_worst_first_every_agent_and_a_seeded_random_share():
    pool = [_candidate(i, "Ann", 5.0 if i % 7 else 1.0) for i in range(60)]
    pool += [_candidate(100, "Bob", 5.0), _candidate(101, "Cy", 4.0)]
    pool += [_candidate(200 + i, "Dee", 3.0, queue="Tech") for i in range(3)]
    sample = choose_sample(pool, size=10, seed="2026-W47")
    billing = [c for c in sample if c.queue == "Billing"]
    assert len(billing) == 10 and len([c for c in sample if c.queue == "Tech"]) == 3
    assert {c.agent_name for c in billing} == {"Ann", "Bob", "Cy"}
    # half the size goes to the worst CSAT (agents' own worst ones included): Ann's, Bob's and
    # Cy's representatives plus the two next-worst conversations
    assert sum(c.csat == 1.0 for c in billing) >= 3
    assert choose_sample(pool, size=10, seed="2026-W47") == sample  # a rerun picks the same
    other = choose_sample(pool, size=10, seed="2026-W48")
    assert {c.key for c in other} != {c.key for c in sample}  # the random share moves


def test_every_agent_is_represented_even_past_the_size():
    pool = [_candidate(i, f"Agent {i}", 4.0) for i in range(5)]
    assert len(choose_sample(pool, size=3, seed="s")) == 5


def test_every_root_cause_and_risk_a_draft_may_carry_has_a_label():
    # an unlabelled cause would be read as agent behaviour and become a coaching note
    assert set(review.ROOT_CAUSES) == set(draft_module.ROOT_CAUSES)
    assert set(review.RISK_LABELS) == set(draft_module.RISKS)
