"""The coaching REST API (SPEC §5): thin routes over the domain functions Slack uses too.

Each route parses, calls the domain and renders; scope (SPEC §6) is enforced in the domain.
Routes are plain `def`, so FastAPI runs their blocking database work on its threadpool.
"""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.coaching.agent_side import acknowledge_note, mark_record_seen, replies_of, reply_to_note
from bot.coaching.notes import UNSET, archive_note, create_note, edit_note
from bot.coaching.pins import pin_sample
from bot.coaching.record import open_named_record
from bot.coaching.shortcut import TooSlow
from bot.coaching.transcripts import CustomerLookup
from bot.core.api_schemas import (
    MAX_ID,
    AgentName,
    AmbiguousOut,
    CoachingOut,
    ErrorOut,
    NoteCreate,
    NotePatch,
    ReplyCreate,
    SampleOut,
    SamplePin,
    SavedNoteOut,
    SavedReplyOut,
    coaching_out,
    from_ms,
    sample_out,
    saved_note_out,
    saved_reply_out,
)
from bot.core.db import DatabaseUnavailable
from bot.core.errors import Ambiguous, DebriefError, InvalidInput, NotFound, OutOfScope
from bot.core.rate_limit import RateLimited, RateLimiter
from bot.core.settings import Settings
from bot.ingest.helpdesks.base import HelpdeskError
from bot.people.agents import agent_name, resolve_agent
from bot.people.tokens import BadToken, Caller, authenticate
from models import Note

ALL_NOTES = 2**31 - 1
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=150,
        pattern=r"^[!-~]+$",
        description="Any printable ASCII without spaces; the same key (for this token) returns "
        "the first answer instead of doing it again.",
    ),
]
# Domain field names (as InvalidInput.field) as the API spells them.
API_FIELDS = {"follow_up": "followUpAt", "sample": "sampleId", "external_id": "externalId"}

_BEARER = {"WWW-Authenticate": "Bearer"}


if TYPE_CHECKING:  # built by the composition root, which installs these routes
    from bot.app.services import Services


def error_status(exc: Exception) -> int:
    """The HTTP status of an error: the one place the API maps domain errors to codes."""
    if isinstance(exc, BadToken):
        return 401
    if isinstance(exc, OutOfScope):  # NotAMember included
        return 403
    if isinstance(exc, NotFound):  # UnknownAgent included
        return 404
    if isinstance(exc, Ambiguous):
        return 409
    if isinstance(exc, InvalidInput):
        return 422
    if isinstance(exc, RateLimited):
        return 429
    if isinstance(exc, HelpdeskError | TooSlow):
        return 502
    if isinstance(exc, DatabaseUnavailable):
        return 503
    return 422


def error_answer(exc: Exception) -> JSONResponse:
    """`{"error": ...}` (with `candidates` for an ambiguous name) and the right headers."""
    status = error_status(exc)
    message = str(exc)
    if isinstance(exc, InvalidInput):
        message = f"{API_FIELDS.get(exc.field, exc.field)}: {exc.message}"
    elif isinstance(exc, DatabaseUnavailable):
        message = "Debrief can't reach its database right now; nothing was changed."
    content: dict[str, Any] = {"error": message}
    if isinstance(exc, Ambiguous):
        content["candidates"] = exc.candidates
    headers: dict[str, str] = {}
    if status == 401:
        headers = _BEARER
    elif isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(content, status_code=status, headers=headers)


def validation_message(exc: RequestValidationError) -> str:
    """One line saying what was wrong with the request's body, query or path."""
    errors = list(exc.errors())
    if not errors:
        return "The request is not valid."
    first = errors[0]
    kind = str(first.get("type", ""))
    loc = [str(part) for part in first.get("loc", ())]
    where, path = (loc[0], loc[1:]) if loc else ("body", [])
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    if kind == "json_invalid":
        return "The body is not valid JSON."
    if where == "body" and not path:
        if kind == "missing":
            return "Send a JSON object as the body."
        if kind == "value_error":
            return message
        return "The body must be a JSON object."
    # pydantic adds union members to the location (`function-after[_storable(), str]`)
    name = ".".join(part for part in path if "[" not in part)
    if kind == "extra_forbidden":
        return f"Unknown field {name!r}."
    return f"{name}: {message}"


def _responses(settings: Settings, *codes: int) -> dict[int | str, dict[str, Any]]:
    table: dict[int, dict[str, Any]] = {
        401: {
            "model": ErrorOut,
            "description": "No token, or an unknown or revoked one.",
            "headers": {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`."}
            },
        },
        403: {"model": ErrorOut, "description": "Outside the caller's scope."},
        404: {"model": ErrorOut, "description": "No such agent or note."},
        409: {"model": AmbiguousOut, "description": "The name matches several agents."},
        422: {"model": ErrorOut, "description": "A bad body, query or path."},
        429: {
            "model": ErrorOut,
            "description": f"Over the rate limit: {settings.api_rate_limit} requests a minute "
            "per token.",
            "headers": {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "Seconds to wait before trying again.",
                }
            },
        },
        502: {"model": ErrorOut, "description": "The helpdesk could not be read."},
        503: {"model": ErrorOut, "description": "The database can't be reached."},
    }
    return {code: table[code] for code in (401, 403, 404, 422, 429, 503, *codes)}


def build_router(services: "Services") -> APIRouter:
    """The API's routes, with a bearer-token check and a per-token rate limit on each."""
    settings = services.settings  # each request's statements keep to its deadline
    ask = services.ask_helpdesk  # a note's sample's customer
    limiter = RateLimiter(settings.api_rate_limit)
    bearer = HTTPBearer(
        auto_error=False,
        bearerFormat="debrief token",
        description="A token from `debrief tokens create SLACK_USER_ID`.",
    )

    def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        if credentials is None:
            raise BadToken()
        with services.request_session() as session:
            found = authenticate(session=session, secret=credentials.credentials)
        limiter.hit(found.token_id)
        return found

    auth = Depends(caller)
    router = APIRouter(prefix="/coaching", tags=["coaching"])
    _record_routes(router, services, auth)
    _note_routes(router, services, auth, ask)
    _agent_side_routes(router, services, auth, ask)
    _sample_routes(router, services, auth)
    from handlers.rest_lead import lead_routes  # it uses _responses from here

    lead_routes(router, services, auth, _responses(settings, 502))
    return router


def _record_routes(router: APIRouter, services: "Services", auth: Any) -> None:
    """GET /coaching: an agent's record."""
    settings = services.settings
    Auth = Annotated[Caller, auth]

    @router.get(
        "",
        response_model=CoachingOut,
        summary="An agent's coaching record",
        operation_id="getCoaching",
        response_description="The agent, up to 20 samples (worst CSAT first) and live notes.",
        responses=_responses(settings, 409),
    )
    def get_coaching(agent: Annotated[AgentName, Query()], who: Auth) -> CoachingOut:
        with services.read_engine() as db:
            record = open_named_record(
                db=db, slack_user_id=who.viewer.slack_user_id, query=agent, page_size=ALL_NOTES
            )
        if not record.can_write:  # the agent reads the notes shared with them
            with services.request_session() as session:
                mark_record_seen(
                    session=session, slack_user_id=who.viewer.slack_user_id, record=record
                )
        return coaching_out(record)


def _note_routes(router: APIRouter, services: "Services", auth: Any, ask: CustomerLookup) -> None:
    """POST /coaching/notes, PATCH and DELETE /coaching/notes/{id}: write, change, archive."""
    settings = services.settings
    Auth = Annotated[Caller, auth]
    NoteId = Annotated[int, Path(alias="id", ge=1, le=MAX_ID, description="The note's id.")]

    @router.post(
        "/notes",
        status_code=201,
        response_model=SavedNoteOut,
        summary="Write a note",
        operation_id="createNote",
        response_description="The new note.",
        responses=_responses(settings, 409),
    )
    def post_note(note: NoteCreate, who: Auth) -> SavedNoteOut:
        with services.request_session() as session:
            choice = resolve_agent(session=session, viewer=who.viewer, query=note.agent)
            created = create_note(
                session=session,
                actor=who.viewer,
                agent_id=choice.id,
                body=note.body,
                follow_up_at=from_ms(note.followUpAt),
                shared_with_agent=note.sharedWithAgent,
                sample_id=note.sampleId,
                ask=ask,
            )
            return saved_note_out(created, choice.name, note.body)

    @router.patch(
        "/notes/{id}",
        response_model=SavedNoteOut,
        summary="Change a note",
        operation_id="updateNote",
        response_description="The note as changed.",
        responses=_responses(settings),
    )
    def patch_note(note_id: NoteId, change: NotePatch, who: Auth) -> SavedNoteOut:
        given = change.model_fields_set
        with services.request_session() as session:
            note = edit_note(
                session=session,
                actor=who.viewer,
                note_id=note_id,
                body=change.body if change.body is not None else UNSET,
                follow_up_at=from_ms(change.followUpAt) if "followUpAt" in given else UNSET,
                shared_with_agent=(
                    change.sharedWithAgent if change.sharedWithAgent is not None else UNSET
                ),
                ask=ask,
            )
            name = agent_name(session=session, agent_id=note.agent_id)
            replies = replies_of(session, [note.id]).get(note.id, [])
            return saved_note_out(note, name, change.body, replies)

    @router.delete(
        "/notes/{id}",
        status_code=204,
        response_class=Response,
        summary="Archive a note (kept, no longer listed)",
        operation_id="archiveNote",
        response_description="Archived.",
        responses=_responses(settings),
    )
    def delete_note(note_id: NoteId, who: Auth) -> Response:
        with services.request_session() as session:
            archive_note(session=session, actor=who.viewer, note_id=note_id)
        return Response(status_code=204)


def _agent_side_routes(
    router: APIRouter, services: "Services", auth: Any, ask: CustomerLookup
) -> None:
    """POST /coaching/notes/{id}/acknowledge and /replies: the agent's side of a shared note."""
    settings = services.settings
    Auth = Annotated[Caller, auth]
    NoteId = Annotated[int, Path(alias="id", ge=1, le=MAX_ID, description="The note's id.")]
    mine = (
        "Only the agent the note is shared with (a member token) may; anyone else gets 403 or 404."
    )

    @router.post(
        "/notes/{id}/acknowledge",
        response_model=SavedNoteOut,
        summary="Acknowledge a note shared with you",
        description=mine,
        operation_id="acknowledgeNote",
        response_description="The note, acknowledged (the first time is kept).",
        responses=_responses(settings),
    )
    def post_acknowledge(note_id: NoteId, who: Auth) -> SavedNoteOut:
        with services.request_session() as session:
            note = acknowledge_note(session=session, actor=who.viewer, note_id=note_id)
            return _saved(session, note)

    @router.post(
        "/notes/{id}/replies",
        status_code=201,
        response_model=SavedReplyOut,
        summary="Reply to a note shared with you",
        description=mine + " The note's author gets the reply as a Slack DM. A retry with the "
        "same `Idempotency-Key` returns the first reply instead of sending a second.",
        operation_id="replyToNote",
        response_description="The reply as kept.",
        responses=_responses(settings, 502),
    )
    def post_reply(
        note_id: NoteId, reply: ReplyCreate, who: Auth, key: IdempotencyKey = None
    ) -> SavedReplyOut:
        with services.request_session() as session:
            kept = reply_to_note(
                session=session,
                actor=who.viewer,
                note_id=note_id,
                body=reply.body,
                idempotency_key=None if key is None else f"api:{who.token_id}:{key}",
                ask=ask,
            )
            return saved_reply_out(kept, reply.body)


def _saved(session: Session, note: Note) -> SavedNoteOut:
    """A note as the agent's action left it, with its replies."""
    name = agent_name(session=session, agent_id=note.agent_id)
    return saved_note_out(note, name, None, replies_of(session, [note.id]).get(note.id, []))


def _sample_routes(router: APIRouter, services: "Services", auth: Any) -> None:
    """POST /coaching/samples: pin a conversation."""
    settings = services.settings
    Auth = Annotated[Caller, auth]

    @router.post(
        "/samples",
        status_code=201,
        response_model=SampleOut,
        summary="Pin a conversation as a sample",
        operation_id="pinSample",
        response_description="Pinned: the new sample.",
        responses={
            200: {"model": SampleOut, "description": "Already pinned: the existing sample."},
            **_responses(settings, 409, 502),
        },
    )
    def post_sample(pin: SamplePin, who: Auth, response: Response) -> SampleOut:
        with services.read_session() as session:
            choice = resolve_agent(session=session, viewer=who.viewer, query=pin.agent)
        result = pin_sample(
            session_factory=services.sessions,
            settings=settings,
            actor=who.viewer,
            agent_id=choice.id,
            helpdesk=pin.helpdesk,
            external_id=pin.externalId,
            summarizer=services.summarizer,
            csat=pin.csat,
            closed_at=from_ms(pin.closedAt),
        )
        if not result.created:
            response.status_code = 200
        return sample_out(result.sample, choice.name)


def install_rest_api(web: FastAPI, services: "Services") -> None:
    """Serve the API on `web`: its routes and its error answers."""

    async def on_error(_request: Request, exc: Exception) -> JSONResponse:
        return error_answer(exc)

    async def on_invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"error": validation_message(exc)}, status_code=422)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:  # FastAPI couldn't read the body (not UTF-8, say)
            return JSONResponse({"error": "The body is not valid JSON."}, status_code=422)
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    web.description = (
        "Debrief's coaching record over HTTP: `Authorization: Bearer <token>` with a token from "
        "`debrief tokens create SLACK_USER_ID`. Times are epoch milliseconds; errors are "
        '`{"error": "..."}`.'
    )
    web.include_router(build_router(services))
    for kind in (DebriefError, RateLimited, DatabaseUnavailable):
        web.add_exception_handler(kind, on_error)
    web.add_exception_handler(RequestValidationError, on_invalid)
    web.add_exception_handler(StarletteHTTPException, on_http)
