"""HubSpot's API as the fake serves it: credentials, paths, limits, the properties of each
object, and its timestamp format."""

from __future__ import annotations

from datetime import UTC, datetime

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
PORTAL_ID = "62515"
SEARCH = "/crm/v3/objects/feedback_submissions/search"
ASSOCIATIONS = "/crm/v4/associations/feedback_submissions/tickets/batch/read"
TICKETS_BATCH = "/crm/v3/objects/tickets/batch/read"
OWNERS = "/crm/v3/owners"
SEARCH_MAX = 200
SEARCH_CAP = 10_000
BATCH_MAX = 100
ASSOCIATIONS_MAX = 1000
OWNERS_MAX = 500
OPERATORS = {"BETWEEN", "CONTAINS_TOKEN", "EQ", "GT", "GTE", "HAS_PROPERTY", "IN", "LT", "LTE",
             "NEQ", "NOT_CONTAINS_TOKEN", "NOT_HAS_PROPERTY", "NOT_IN"}  # fmt: skip
SUBMISSION_PROPERTIES = {"hs_createdate", "hs_lastmodifieddate", "hs_object_id", "hs_survey_type",
                         "hs_survey_name", "hs_survey_id", "hs_survey_channel", "hs_value",
                         "hs_content", "hs_response_group", "hs_sentiment", "hs_contact_id",
                         "hs_submission_name", "hs_submission_timestamp"}  # fmt: skip
TICKET_PROPERTIES = {"hubspot_owner_id", "hubspot_team_id", "closed_date", "hs_ticket_category",
                     "hs_conversations_originating_thread_id", "subject", "content",
                     "hs_pipeline", "hs_pipeline_stage", "createdate", "hs_lastmodifieddate",
                     "hs_object_id"}  # fmt: skip
DATE_PROPERTIES = {"hs_createdate", "hs_lastmodifieddate", "closed_date", "createdate"}
DAY_LIMIT = 250_000


def iso(epoch: float) -> str:
    """HubSpot's timestamp format: ISO 8601 in UTC with milliseconds."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
