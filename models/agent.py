"""A support agent whose conversations are rated."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from models.base import Base, UTCDateTime, utcnow

NAME_MAX = 200
NAME_KEY_MAX = 800  # case folding can lengthen a 200-character name (ß → ss, ŉ → ʼn)


def fold_name(name: str) -> str:
    """A name as every lookup compares it, the same in Python and on every database: Unicode
    case-folded (NFKC), a dotted capital İ matching a plain i, single spaces, no ends."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.replace("i\u0307", "i").split())


class Agent(Base):
    """A support agent: a name, optionally an email and a Slack user, and their lead."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # fold_name(name), kept by the ORM: SQLite's lower() folds ASCII only, PostgreSQL's follows
    # the server's locale; matching on this key is the same everywhere
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_MAX), index=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True, default=None)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    lead_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL", use_alter=True), default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = fold_name(name)
        return name
