"""Coach on this and the AI agreement over REST (issue 17): leads only, exact answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.db import session_scope
from bot.core.settings import Settings
from models import DraftStatus, QaDraft, Rubric, Sample
from models.base import utcnow
from tests.rest_support import Api, Team, make_team

LINK = "https://acme.zendesk.com/agent/tickets/{}"


@pytest.fixture()
def team(session) -> Team:
    return make_team(session)


@pytest.fixture()
def api(settings: Settings, team: Team) -> Iterator[Api]:
    with TestClient(create_web_app(Services(settings), None)) as http:
        yield Api(http, team.tokens)


def samples(db: str) -> int:
    with session_scope(db) as s:
        return int(s.scalar(select(func.count()).select_from(Sample)) or 0)


def test_a_lead_pins_a_linked_conversation_on_its_agents_record_once(api, db):
    before = samples(db)
    first = api("POST", "/coaching/samples/by-link", json={"link": LINK.format(9001)})
    assert first.status_code == 201, first.text
    assert (first.json()["agent"], first.json()["externalId"]) == ("Sarah Connor", "9001")
    again = api(
        "POST", "/coaching/samples/by-link", "admin", json={"link": f"<{LINK.format(9001)}|#9001>"}
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert samples(db) == before + 1


@pytest.mark.parametrize(
    ("who", "link", "status", "says"),
    [
        ("member", LINK.format(9002), 403, "owners and admins"),
        ("owner", "https://zendesk.com.evil.io/agent/tickets/9001", 422, "no helpdesk conversation link"),
        ("owner", "javascript:alert(1)", 422, "no helpdesk conversation link"),
        ("owner", LINK.format(777), 404, "777"),
        (None, LINK.format(9001), 401, ""),
    ],
)  # fmt: skip
def test_a_link_pin_refused_says_why_and_pins_nothing(api, db, who, link, status, says):
    before = samples(db)
    answer = api("POST", "/coaching/samples/by-link", who, json={"link": link})
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]
    assert samples(db) == before


@pytest.mark.parametrize(
    "body", [{}, {"link": ""}, {"link": 42}, {"link": "x" * 3001}, {"link": "a\x00b"}]
)
def test_a_bad_link_body_is_422(api, body):
    assert api("POST", "/coaching/samples/by-link", json=body).status_code == 422


def test_the_ai_agreement_is_for_leads_and_counts_exactly(api, session, team):
    rubric = Rubric(version=1, name="r", criteria=[], source_sha256="0" * 64, approved_by="UOWNER")
    session.add(rubric)
    session.flush()
    now = utcnow()
    for status, final in (
        (DraftStatus.APPROVED, None),
        (DraftStatus.EDITED, 1),
        (DraftStatus.REJECTED, None),
    ):
        session.add(
            QaDraft(
                helpdesk="zendesk", external_id="1", agent_id=team.agents["sarah"], rubric_id=rubric.id,
                engine="offline", summary="s", scores=[{"criterion": "empathy", "score": 3, "max": 4}],
                points=[], customer_risk=[], confidence=0.9, route="ready", status=status,
                decided_by="UOWNER", decided_at=now - timedelta(days=2),
                final_scores=None if final is None else [{"criterion": "empathy", "score": final}],
            )
        )  # fmt: skip
    session.commit()
    assert api("GET", "/coaching/ai-agreement", "member").status_code == 403
    answer = api("GET", "/coaching/ai-agreement", "admin")
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert (figures["days"], figures["draftsDecided"], figures["approvedUnchangedShare"]) == (
        30,
        3,
        0.333,
    )
    assert figures["criteria"] == [
        {"criterion": "empathy", "drafts": 3, "approvedUnchanged": 1, "approvedUnchangedShare": 0.333,
         "finalScores": 2, "meanAbsScoreDifference": 1.0, "scoreChanged": 1},
    ]  # fmt: skip
    assert api("GET", "/coaching/ai-agreement", params={"days": 1}).json()["draftsDecided"] == 0
    assert api("GET", "/coaching/ai-agreement", params={"days": 0}).status_code == 422


def test_an_unknown_query_parameter_is_422(api):
    answer = api("GET", "/coaching/ai-agreement", params={"days": 7, "since": "x"})
    assert answer.status_code == 422 and "since" in answer.json()["error"]
