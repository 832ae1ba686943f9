"""SQLAlchemy 2 ORM models: data only, no workflows."""

from models.agent import Agent
from models.api_token import ApiToken
from models.audit import AuditEntry
from models.base import Base
from models.conversation import Conversation
from models.delivery import Delivery, DeliveryKind
from models.flag import Flag
from models.import_run import ImportRun
from models.member import Member, Role
from models.note import Note, NoteReply
from models.qa import DraftStatus, MeasurementEvent, ProcessIssue, QaDraft, QaSkip, Rubric
from models.reminder import Reminder, ReminderStatus
from models.sample import Sample
from models.sync_run import SyncRun

__all__ = [
    "Agent",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Conversation",
    "Delivery",
    "DeliveryKind",
    "DraftStatus",
    "Flag",
    "ImportRun",
    "MeasurementEvent",
    "Member",
    "Note",
    "NoteReply",
    "ProcessIssue",
    "QaDraft",
    "QaSkip",
    "Reminder",
    "ReminderStatus",
    "Role",
    "Rubric",
    "Sample",
    "SyncRun",
]
