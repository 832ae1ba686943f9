"""What the coaching REST API tests share: the team they work with (agents, notes, samples and
a token per caller), a client that sends a caller's token, and a note body to vary."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from bot.people.tokens import create_token, revoke_token
from models import Conversation
from tests import factories as f

DAY_MS = 24 * 3600 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Team:
    """Who and what the API tests work with: agent and note ids, and a token per caller."""

    agents: dict[str, int]
    notes: dict[str, int]
    samples: dict[str, int]
    tokens: dict[str, str]


def make_team(session) -> Team:
    """Owner, admin, a member linked to Becky, a revoked owner token; Sarah has samples."""
    f.member(session, "UOWNER", "owner")
    f.member(session, "UADMIN", "admin")
    sarah = f.agent(session, "Sarah Connor", lead="UOWNER", slack_user="USARAHAGENT")
    lee = f.agent(session, "Sarah Lee", lead="UOWNER")
    becky = f.agent(session, "Becky Jones", lead="UADMIN")
    f.member(session, "UBECKY", "member", agent="Becky Jones")
    samples = {
        f"sarah{int(csat)}": f.sample(session, sarah.id, csat=csat).id for csat in (3.0, 1.0, 2.0)
    }
    samples["becky"] = f.sample(session, becky.id, csat=2.0).id
    owner = f.viewer(session, "UOWNER")
    notes = {
        "sarah": f.note(session, owner, sarah.id, body="Sarah: slow down on refunds.").id,
        "becky_private": f.note(session, owner, becky.id, body="Private worry about Becky.").id,
        "becky_shared": f.note(
            session, owner, becky.id, body="Great save on the refund call!", shared_with_agent=True
        ).id,
    }
    for agent_id, ext in ((sarah.id, "9001"), (becky.id, "9002")):
        session.add(
            Conversation(
                helpdesk="zendesk",
                external_id=ext,
                agent_id=agent_id,
                closed_at=datetime.now(UTC) - timedelta(days=2),
                csat=1.0,
            )
        )
    tokens = {
        role: create_token(session=session, actor="test", slack_user_id=user).secret
        for role, user in (("owner", "UOWNER"), ("admin", "UADMIN"), ("member", "UBECKY"))
    }
    revoked = create_token(session=session, actor="test", slack_user_id="UOWNER")
    revoke_token(session=session, actor="test", token_id=revoked.id)
    tokens["revoked"] = revoked.secret
    tokens["garbage"] = "dbf_not-a-real-token"
    session.commit()
    return Team(
        agents={"sarah": sarah.id, "lee": lee.id, "becky": becky.id},
        notes=notes,
        samples=samples,
        tokens=tokens,
    )


class Api:
    """A test client that sends a caller's bearer token."""

    def __init__(self, http: TestClient, tokens: dict[str, str]) -> None:
        self.http = http
        self.tokens = tokens

    def __call__(self, method: str, path: str, who: str | None = "owner", **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.http.request(method, path, headers=headers, **kwargs)


def note_body(**fields: Any) -> dict[str, Any]:
    return {"agent": "Sarah Connor", "body": "A note.", **fields}
