"""REST routes for leads beyond one record: Coach on this by link, and the AI agreement."""

from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from bot.coaching.shortcut import ask_assignee, pin_by_link
from bot.core.api_schemas import AgreementOut, SampleLinkPin, SampleOut, sample_out
from bot.core.errors import InvalidInput, OutOfScope
from bot.insights.agreement import ai_agreement
from bot.people.tokens import Caller
from models.base import utcnow

if TYPE_CHECKING:
    from bot.app.services import Services

Responses = dict[int | str, dict[str, Any]]


def lead_routes(router: APIRouter, services: "Services", auth: Any, errors: Responses) -> None:
    """POST /coaching/samples/by-link and GET /coaching/ai-agreement (owners and admins)."""
    settings = services.settings
    Auth = Annotated[Caller, auth]

    @router.post(
        "/samples/by-link",
        status_code=201,
        response_model=SampleOut,
        summary="Pin the conversation a helpdesk link points at (Coach on this)",
        operation_id="pinSampleByLink",
        description="The agent is the one the conversation belongs to: from the import, else "
        "asked of its helpdesk. Owners and admins only.",
        response_description="Pinned: the new sample.",
        responses={
            200: {"model": SampleOut, "description": "Already pinned: the existing sample."},
            **errors,
        },
    )
    def post_by_link(pin: SampleLinkPin, who: Auth, response: Response) -> SampleOut:
        pinned = pin_by_link(
            session_factory=services.sessions,
            settings=settings,
            slack_user_id=who.viewer.slack_user_id,
            link=pin.link,
            summarizer=services.summarizer,
            ask=partial(ask_assignee, settings=settings),
            csat=pin.csat,
        )
        if not pinned.result.created:
            response.status_code = 200
        return sample_out(pinned.result.sample, pinned.agent_name)

    @router.get(
        "/ai-agreement",
        response_model=AgreementOut,
        summary="How far leads agreed with the AI's QA drafts",
        operation_id="getAiAgreement",
        description="Owners and admins only: per rubric criterion and overall.",
        response_description="The drafts decided in the last `days` days.",
        responses=errors,
    )
    def get_agreement(
        request: Request,
        who: Auth,
        days: Annotated[int, Query(ge=1, le=3660, description="Days back.")] = 30,
    ) -> AgreementOut:
        unknown = sorted(set(request.query_params) - {"days"})
        if unknown:
            raise InvalidInput("query", f"Unknown query parameter {unknown[0]!r}.")
        if not who.viewer.is_lead:
            raise OutOfScope("Only owners and admins can read the AI agreement.")
        now = utcnow()
        with services.read_session() as session:
            figures = ai_agreement(session=session, since=now - timedelta(days=days), now=now)
        return AgreementOut.model_validate({"days": days, **figures})
