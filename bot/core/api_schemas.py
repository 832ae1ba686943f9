"""The REST API's bodies and answers (SPEC §5): camelCase JSON, times in epoch milliseconds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from bot.coaching.record import AgentView, CoachRecord, NoteView, ReplyView, SampleView
from bot.core.text import unstorable
from bot.privacy.redaction import labels_in
from models import Note, NoteReply, Sample

MAX_ID = 2**31 - 1
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(value: datetime | None) -> int | None:
    """A time as epoch milliseconds (None stays None)."""
    return None if value is None else (value - _EPOCH) // _MS


def from_ms(value: int | None) -> datetime | None:
    """Epoch milliseconds as a UTC time (None stays None)."""
    return None if value is None else _EPOCH + value * _MS


def _storable(value: str) -> str:
    """Refuse text no database column can hold: control characters (but newlines and tabs) and
    broken characters (lone surrogates); the domain checks the rest, as for Slack."""
    why = unstorable(value, multiline=True)
    if why is not None:
        raise ValueError(why)
    return value


Text = Annotated[StrictStr, AfterValidator(_storable)]
AgentName = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=200,
        description="An agent's name (full name, first name or prefix, case-insensitive) "
        "or a Slack mention like `<@U012ABC>`.",
        examples=["Sarah Connor"],
    ),
]
Millis = Annotated[
    StrictInt, Field(ge=0, le=MAX_MS, description="Epoch milliseconds.", examples=[1767261600000])
]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Csat = Annotated[StrictFloat, Field(ge=1, le=5, description="CSAT on a 1-5 scale.")]


def _title(name: str, _info: object) -> str:
    return name


def _patch_schema(schema: dict[str, Any]) -> None:
    """At least one property; `body` and `sharedWithAgent` may be left out but are never null."""
    schema["minProperties"] = 1
    for name in ("body", "sharedWithAgent"):
        schema["properties"][name].pop("default", None)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", field_title_generator=_title)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", field_title_generator=_title)


class NoteCreate(_Request):
    """`POST /coaching/notes`."""

    agent: AgentName
    body: Annotated[
        Text, Field(description="The note: 1 to 3000 characters once trimmed of spaces.")
    ]
    sampleId: Id | None = Field(default=None, description="One of this agent's samples.")
    followUpAt: Millis | None = Field(
        default=None, description="When to remind the author (epoch ms, not in the past)."
    )
    sharedWithAgent: StrictBool = False


class NotePatch(_Request):
    """`PATCH /coaching/notes/{id}`: at least one field; `followUpAt: null` clears the follow-up."""

    model_config = ConfigDict(
        extra="forbid", field_title_generator=_title, json_schema_extra=_patch_schema
    )

    body: (
        Annotated[Text, Field(description="1 to 3000 characters once trimmed.")]
        | SkipJsonSchema[None]
    ) = None
    followUpAt: Millis | None = Field(
        default=None, description="Epoch ms (not in the past), or null to clear the follow-up."
    )
    sharedWithAgent: StrictBool | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one of body, followUpAt, sharedWithAgent")
        for name in ("body", "sharedWithAgent"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} can't be null")
        return self


class ReplyCreate(_Request):
    """`POST /coaching/notes/{id}/replies`: the agent answers a note shared with them."""

    body: Annotated[
        Text, Field(description="The reply: 1 to 1000 characters once trimmed of spaces.")
    ]


class SamplePin(_Request):
    """`POST /coaching/samples`: pin a conversation, fetched from the import or the helpdesk."""

    agent: AgentName
    helpdesk: Annotated[
        Text,
        Field(
            max_length=32,
            description="zendesk, intercom, freshdesk, helpscout, gorgias, front, hubspot or other.",
            examples=["zendesk"],
        ),
    ]
    externalId: Annotated[
        Text,
        Field(
            min_length=1,
            max_length=200,
            description="The conversation's id in the helpdesk.",
            examples=["4512"],
        ),
    ]
    csat: Csat | None = None
    closedAt: Millis | None = None


class SampleLinkPin(_Request):
    """`POST /coaching/samples/by-link`: Coach on this over the API."""

    link: Annotated[
        Text,
        Field(
            min_length=1,
            max_length=3000,
            description="A helpdesk conversation URL (or text holding one): a deep link Debrief "
            "builds or the helpdesk's own agent-side URL.",
            examples=["https://acme.zendesk.com/agent/tickets/4512"],
        ),
    ]
    csat: Csat | None = None


class RootCauseChangeOut(_Answer):
    """Edited points whose root cause the lead changed, from one cause to another."""

    model_config = ConfigDict(extra="forbid", field_title_generator=_title, populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    count: int


class CriterionAgreementOut(_Answer):
    """How far the leads agreed with the AI on one rubric criterion."""

    criterion: str
    drafts: int
    approvedUnchanged: int
    approvedUnchangedShare: float | None
    finalScores: int
    meanAbsScoreDifference: float | None
    scoreChanged: int


class AgreementOut(_Answer):
    """`GET /coaching/ai-agreement`: the QA drafts leads decided in the last `days` days, as
    `debrief metrics --json` gives them under `aiAgreement` (the README lists every key)."""

    days: int
    draftsDecided: int
    approved: int
    edited: int
    rejected: int
    approvedUnchangedShare: float | None
    scoreEditsCaptured: bool
    meanAbsScoreDifference: float | None
    scoreChanged: int
    pointsSuggested: int
    pointsRemoved: int
    rootCausesChanged: int
    rootCauseChanges: list[RootCauseChangeOut]
    criteria: list[CriterionAgreementOut]


class AgentOut(_Answer):
    """The agent a record is about; `lead` is the lead's Slack user id."""

    id: int
    name: str
    email: str | None
    slackUserId: str | None
    lead: str | None
    active: bool


class ReplyOut(_Answer):
    """The agent's answer to a note shared with them (redacted as notes are)."""

    id: int
    author: str = Field(description="The agent's Slack user id.")
    body: str
    createdAt: int


class SavedReplyOut(ReplyOut):
    """A reply as kept: `redacted` details were replaced by their labels in what was sent."""

    noteId: int
    redacted: int = Field(ge=0)


class NoteOut(_Answer):
    """A coaching note, with the agent's side of it when it is shared with them."""

    id: int
    agent: str
    author: str = Field(description="The author's Slack user id.")
    body: str
    sampleId: int | None
    sharedWithAgent: bool
    followUpAt: int | None
    followUpDoneAt: int | None
    createdAt: int
    updatedAt: int
    seenAt: int | None = Field(description="When the agent was first shown the note.")
    acknowledgedAt: int | None = Field(description="When the agent acknowledged the note.")
    replies: list[ReplyOut] = Field(description="The agent's replies, oldest first.")


class SavedNoteOut(NoteOut):
    """A note as written or changed: `body` is what is kept, `redacted` how many private
    details (emails, phone, card and bank numbers, national ids, the sample's customer) were
    replaced by their labels in what was sent."""

    redacted: int = Field(ge=0)


class SampleOut(_Answer):
    """A summarized conversation kept as evidence (never its body)."""

    id: int
    agent: str
    helpdesk: str
    externalId: str
    url: str | None
    csat: float | None
    closedAt: int | None
    summary: str
    source: Literal["auto", "manual"]


class CoachingOut(_Answer):
    """`GET /coaching`: up to 20 samples, worst CSAT first; live notes, newest first."""

    agent: AgentOut
    samples: list[SampleOut]
    notes: list[NoteOut]


class ErrorOut(_Answer):
    """Every error answer."""

    error: str


class AmbiguousOut(_Answer):
    """`409`: the name matched several agents."""

    error: str
    candidates: list[str]


def agent_out(agent: AgentView) -> AgentOut:
    """An AgentOut from the coaching record's agent."""
    return AgentOut(
        id=agent.id,
        name=agent.name,
        email=agent.email,
        slackUserId=agent.slack_user_id,
        lead=agent.lead_slack_user_id,
        active=agent.active,
    )


def reply_out(reply: NoteReply | ReplyView) -> ReplyOut:
    """A ReplyOut from a stored reply or one in a coaching record."""
    return ReplyOut(
        id=reply.id,
        author=reply.author,
        body=reply.body,
        createdAt=to_ms(reply.created_at) or 0,
    )


def saved_reply_out(reply: NoteReply, sent: str) -> SavedReplyOut:
    """A SavedReplyOut: the reply, and how many labels its body gained over what was `sent`."""
    gained = max(0, labels_in(reply.body) - labels_in(sent))
    return SavedReplyOut(**reply_out(reply).model_dump(), noteId=reply.note_id, redacted=gained)


def note_out(
    note: Note | NoteView, agent: str, replies: Sequence[NoteReply] | None = None
) -> NoteOut:
    """A NoteOut from a stored note (with its `replies`) or a note in a coaching record."""
    shown: Sequence[NoteReply | ReplyView] = (
        note.replies if isinstance(note, NoteView) else (replies or ())
    )
    return NoteOut(
        id=note.id,
        agent=agent,
        author=note.author,
        body=note.body,
        sampleId=note.sample_id,
        sharedWithAgent=note.shared_with_agent,
        followUpAt=to_ms(note.follow_up_at),
        followUpDoneAt=to_ms(note.follow_up_done_at),
        createdAt=to_ms(note.created_at) or 0,
        updatedAt=to_ms(note.updated_at) or 0,
        seenAt=to_ms(note.seen_at),
        acknowledgedAt=to_ms(note.acknowledged_at),
        replies=[reply_out(r) for r in shown],
    )


def saved_note_out(
    note: Note, agent: str, sent: str | None, replies: Sequence[NoteReply] = ()
) -> SavedNoteOut:
    """A SavedNoteOut: the note, and how many labels its body gained over what was `sent`."""
    gained = 0 if sent is None else max(0, labels_in(note.body) - labels_in(sent))
    return SavedNoteOut(**note_out(note, agent, replies).model_dump(), redacted=gained)


def sample_out(sample: Sample | SampleView, agent: str) -> SampleOut:
    """A SampleOut from a stored sample or a sample in a coaching record."""
    source = str(sample.source)  # a SampleSource is a StrEnum
    return SampleOut(
        id=sample.id,
        agent=agent,
        helpdesk=sample.helpdesk,
        externalId=sample.external_id,
        url=sample.url,
        csat=sample.csat,
        closedAt=to_ms(sample.closed_at),
        summary=sample.summary,
        source="manual" if source == "manual" else "auto",
    )


def coaching_out(record: CoachRecord) -> CoachingOut:
    """The answer of `GET /coaching` for a loaded record."""
    name = record.agent.name
    return CoachingOut(
        agent=agent_out(record.agent),
        samples=[sample_out(s, name) for s in record.samples],
        notes=[note_out(n, name) for n in record.notes],
    )
