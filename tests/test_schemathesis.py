"""Schemathesis against /openapi.json, in process: no server errors, answers match the schema."""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.settings import Settings
from tests.rest_support import make_team

# A deeper local run: DEBRIEF_SCHEMATHESIS_EXAMPLES=300 pytest tests/test_schemathesis.py
NAMES = ["Sarah Connor", "Becky", "sarah", "<@USARAHAGENT>", "Sarah Lee"]
EXAMPLES = int(os.environ.get("DEBRIEF_SCHEMATHESIS_EXAMPLES", "12"))
OPERATIONS = [
    ("/coaching", "GET"),
    ("/coaching/notes", "POST"),
    ("/coaching/notes/{id}", "PATCH"),
    ("/coaching/notes/{id}", "DELETE"),
    ("/coaching/samples", "POST"),
    ("/coaching/notes/{id}/acknowledge", "POST"),
    ("/coaching/notes/{id}/replies", "POST"),
    ("/coaching/samples/by-link", "POST"),
    ("/coaching/ai-agreement", "GET"),
]
# the agent's side of a shared note: called as the member it is shared with
AS_MEMBER = {"/coaching/notes/{id}/acknowledge", "/coaching/notes/{id}/replies"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_to_its_openapi_document(settings: Settings, session, mode) -> None:
    team = make_team(session)
    app = create_web_app(Services(settings.model_copy(update={"api_rate_limit": 100_000})), None)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    owner = {"Authorization": f"Bearer {team.tokens['owner']}"}
    member = {"Authorization": f"Bearer {team.tokens['member']}"}
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    assert len(list(schema.get_all_operations())) == len(OPERATIONS)
    operations = [schema[path][method] for path, method in OPERATIONS]
    for operation in operations:

        @hypothesis.given(
            case=operation.as_strategy(generation_mode=mode),
            real=st.booleans(),
            name=st.sampled_from(NAMES),
            note=st.sampled_from(sorted(team.notes.values())),
        )
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=EXAMPLES <= 12,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case, real: bool, name: str, note: int) -> None:
            if real and mode is GenerationMode.POSITIVE:  # reach existing records half the time
                if isinstance(case.body, dict) and "agent" in case.body:
                    case.body["agent"] = name
                if case.query and "agent" in case.query:
                    case.query["agent"] = name
                if case.path_parameters and "id" in case.path_parameters:
                    case.path_parameters["id"] = note
            headers = member if case.path in AS_MEMBER else owner
            response = case.call(headers=headers)
            case.validate_response(response, checks=checks, headers=headers)

        run()
