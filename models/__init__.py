"""SQLAlchemy 2 ORM models: data only, no workflows."""

from models.agent import Agent
from models.audit import AuditEntry
from models.base import Base
from models.member import Member, Role
from models.note import Note
from models.sample import Sample

__all__ = ["Agent", "AuditEntry", "Base", "Member", "Note", "Role", "Sample"]
