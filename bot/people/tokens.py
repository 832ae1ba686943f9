"""REST API tokens: made for a member, shown once, kept only as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.audit import record
from bot.core.errors import DebriefError, NotFound
from bot.core.scope import Viewer
from models import ApiToken, Member, Role
from models.base import utcnow

TOKEN_PREFIX = "dbf_"
MAX_TOKEN = 200
TOUCH_EVERY = timedelta(minutes=1)


class BadToken(DebriefError):
    """No API token, or one that is unknown or revoked (HTTP 401)."""

    def __init__(
        self, message: str = "Send a valid API token: `Authorization: Bearer <token>`."
    ) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown once and never stored."""

    id: int
    secret: str
    slack_user_id: str
    role: Role


@dataclass(frozen=True)
class Caller:
    """Who an API request acts as: the token and its member's Viewer."""

    token_id: int
    viewer: Viewer


def hash_token(secret: str) -> str:
    """The hex SHA-256 of a token, as stored."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def _snapshot(token: ApiToken, slack_user_id: str) -> dict[str, object]:
    revoked = None if token.revoked_at is None else int(token.revoked_at.timestamp() * 1000)
    return {"member": slack_user_id, "prefix": token.prefix, "revoked_at": revoked}


def create_token(*, session: Session, actor: str, slack_user_id: str) -> NewToken:
    """A new token acting as this member (with whatever role they have when it is used)."""
    member = session.scalar(select(Member).where(Member.slack_user_id == slack_user_id))
    if member is None:
        raise NotFound(
            f"{slack_user_id} is not a member: add them first with "
            f"`debrief members add {slack_user_id} --role ...`"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        member_id=member.id, token_hash=hash_token(secret), prefix=secret[:12], created_at=utcnow()
    )
    session.add(token)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="token.create",
        entity="token",
        entity_id=token.id,
        after=_snapshot(token, slack_user_id),
    )
    return NewToken(id=token.id, secret=secret, slack_user_id=slack_user_id, role=member.role)


def revoke_token(*, session: Session, actor: str, token_id: int) -> tuple[ApiToken, bool]:
    """Stop a token from working; returns (token, whether this call revoked it)."""
    row = session.execute(
        select(ApiToken, Member.slack_user_id)
        .join(Member, ApiToken.member_id == Member.id)
        .where(ApiToken.id == token_id)
    ).first()
    if row is None:
        raise NotFound(f"no API token has id {token_id}")
    token, slack_user_id = row
    if token.revoked_at is not None:
        return token, False
    before = _snapshot(token, slack_user_id)
    token.revoked_at = utcnow()
    record(
        session=session,
        actor=actor,
        action="token.revoke",
        entity="token",
        entity_id=token.id,
        before=before,
        after=_snapshot(token, slack_user_id),
    )
    return token, True


def list_tokens(*, session: Session) -> list[tuple[ApiToken, str]]:
    """Every token with its member's Slack user id, oldest first."""
    rows = session.execute(
        select(ApiToken, Member.slack_user_id)
        .join(Member, ApiToken.member_id == Member.id)
        .order_by(ApiToken.id)
    ).all()
    return [(token, user) for token, user in rows]


def authenticate(*, session: Session, secret: str | None, now: datetime | None = None) -> Caller:
    """The Caller a bearer token acts as, or BadToken; notes when it was last used."""
    if not secret or len(secret) > MAX_TOKEN:
        raise BadToken()
    row = session.execute(
        select(
            ApiToken.id,
            ApiToken.revoked_at,
            ApiToken.last_used_at,
            Member.slack_user_id,
            Member.role,
            Member.agent_id,
        )
        .join(Member, ApiToken.member_id == Member.id)
        .where(ApiToken.token_hash == hash_token(secret))
    ).first()
    if row is None:
        raise BadToken("That API token isn't valid.")
    if row.revoked_at is not None:
        raise BadToken("That API token was revoked.")
    viewer = Viewer(slack_user_id=row.slack_user_id, role=row.role, agent_id=row.agent_id)
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return Caller(token_id=row.id, viewer=viewer)
