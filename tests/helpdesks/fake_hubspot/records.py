"""What the fake HubSpot holds, and how a test fills it: owners, tickets, feedback submissions,
contacts and conversation threads (with the messages and comments built here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer

from tests.helpdesks.fake_hubspot.api import OWNERS_MAX, SEARCH_MAX, iso


@dataclass
class _Records:
    """The fake's state and the test helpers that fill it; ``FakeHubSpot`` serves it."""

    server: HTTPServer
    page_size: int = SEARCH_MAX  # the fake's own search page cap (a test makes it small)
    owner_page: int = OWNERS_MAX
    message_page: int = 20
    owners: dict[str, dict[str, Any]] = field(default_factory=dict)
    archived_owners: dict[str, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    ticket_of: dict[str, list[str]] = field(default_factory=dict)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    search_bodies: list[dict[str, Any]] = field(default_factory=list)
    rate_limits: dict[str, list[str]] = field(default_factory=dict)  # path -> policies queued
    failing_after: dict[str, int] = field(default_factory=dict)  # search `after` -> status
    calls_today: int = 0

    @property
    def base_url(self) -> str:
        """The URL to give the connector as DEBRIEF_HUBSPOT_BASE_URL."""
        return self.server.url_for("/").rstrip("/")

    # -- data ------------------------------------------------------------------------------

    def add_owner(
        self,
        owner_id: str,
        first: str,
        last: str,
        email: str,
        *,
        teams: tuple[tuple[str, str, bool], ...] = (),
        archived: bool = False,
        kind: str = "PERSON",
    ) -> None:
        """An owner as GET /crm/v3/owners lists it; `teams` are (id, name, primary)."""
        owner = {
            "id": owner_id,
            "email": email,
            "type": kind,
            "firstName": first,
            "lastName": last,
            "userId": int(owner_id) + 1000,
            "userIdIncludingInactive": int(owner_id) + 1000,
            "createdAt": "2023-01-05T10:00:00.000Z",
            "updatedAt": "2024-02-01T10:00:00.000Z",
            "archived": archived,
            "teams": [{"id": t, "name": n, "primary": p} for t, n, p in teams],
        }
        (self.archived_owners if archived else self.owners)[owner_id] = owner

    def add_ticket(
        self,
        ticket_id: str,
        *,
        owner_id: str | None,
        team_id: str | None = None,
        closed: float | None = None,
        categories: tuple[str, ...] = (),
        thread_id: str | None = None,
        created: float = 1_714_550_000,
    ) -> None:
        """A ticket with its default and help-desk properties (HubSpot's values are strings)."""
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "properties": {
                "subject": f"Ticket {ticket_id}",
                "content": "",
                "hs_pipeline": "0",
                "hs_pipeline_stage": "4",
                "hubspot_owner_id": owner_id,
                "hubspot_team_id": team_id,
                "closed_date": iso(closed) if closed is not None else None,
                "hs_ticket_category": ";".join(categories) or None,
                "hs_conversations_originating_thread_id": thread_id,
                "createdate": iso(created),
                "hs_lastmodifieddate": iso(closed or created),
                "hs_object_id": ticket_id,
            },
            "createdAt": iso(created),
            "updatedAt": iso(closed or created),
            "archived": False,
        }

    def add_submission(
        self,
        submission_id: str,
        *,
        created: float,
        value: str | None,
        ticket_id: str | None,
        survey: str = "CSAT",
        content: str = "",
    ) -> None:
        """A survey response (CSAT 0-2, NPS 0-10, CES 1-7), associated with a ticket if given."""
        self.submissions[submission_id] = {
            "id": submission_id,
            "properties": {
                "hs_createdate": iso(created),
                "hs_lastmodifieddate": iso(created),
                "hs_object_id": submission_id,
                "hs_survey_type": survey,
                "hs_survey_name": f"{survey} survey",
                "hs_survey_id": {"CSAT": "5", "NPS": "6", "CES": "7"}.get(survey, "8"),
                "hs_survey_channel": "EMAIL",
                "hs_value": value,
                "hs_content": content or None,
                "hs_submission_timestamp": iso(created),
            },
            "createdAt": iso(created),
            "updatedAt": iso(created),
            "archived": False,
        }
        if ticket_id is not None:
            self.ticket_of[submission_id] = [ticket_id]

    def add_contact(self, contact_id: str, first: str, last: str, email: str) -> None:
        """A contact as GET /crm/v3/objects/contacts/{id} returns it."""
        self.contacts[contact_id] = {
            "id": contact_id,
            "properties": {
                "firstname": first,
                "lastname": last,
                "email": email,
                "createdate": "2024-01-17T19:55:04.281Z",
                "lastmodifieddate": "2024-01-17T19:55:04.281Z",
                "hs_object_id": contact_id,
            },
            "createdAt": "2024-01-17T19:55:04.281Z",
            "updatedAt": "2024-01-17T19:55:04.281Z",
            "archived": False,
        }

    def add_thread(
        self, thread_id: str, messages: list[dict[str, Any]], *, contact_id: str = "1001"
    ) -> None:
        """A conversation thread (PublicThread) and its messages, oldest first."""
        self.threads[thread_id] = {
            "id": thread_id,
            "createdAt": "2024-04-30T09:00:00.000Z",
            "closedAt": "2024-04-30T11:00:00.000Z",
            "status": "CLOSED",
            "inboxId": "147959634",
            "associatedContactId": contact_id,
            "originalChannelId": "1002",
            "originalChannelAccountId": "240983968",
            "latestMessageTimestamp": "2024-04-30T10:59:00.000Z",
            "spam": False,
            "archived": False,
            "assignedTo": "A-1234567",
        }
        for n, message in enumerate(messages):
            message.setdefault("id", f"{thread_id}-m{n}")
            message["conversationsThreadId"] = thread_id
            message.setdefault("createdAt", f"2024-04-30T10:{n:02d}:00.000Z")
            message.setdefault("updatedAt", message["createdAt"])
        self.messages[thread_id] = messages

    def rate_limit(self, path: str, *policies: str) -> None:
        """The next requests to `path` answer 429, one per policy: DAILY, TEN_SECONDLY_ROLLING
        (with the window headers) or SECONDLY (the search API's limit, with no headers)."""
        self.rate_limits.setdefault(path, []).extend(policies)


def message(
    direction: str,
    text: str,
    *,
    rich: str | None = None,
    sender: str = "Dana Whitfield",
    email: str | None = "dana@example.com",
    actor: str | None = None,
) -> dict[str, Any]:
    """A MESSAGE (PublicConversationsMessage) sent by the customer (INCOMING) or an agent."""
    incoming = direction == "INCOMING"
    identifier = {"type": "HS_EMAIL_ADDRESS", "value": email} if email else None
    return {
        "type": "MESSAGE",
        "createdBy": actor or ("V-1001" if incoming else "A-1234567"),
        "client": {"clientType": "HUBSPOT"},
        "senders": [
            {
                "actorId": actor or ("V-1001" if incoming else "A-1234567"),
                "name": sender,
                **({"deliveryIdentifier": identifier} if identifier else {}),
            }
        ],
        "recipients": [],
        "archived": False,
        "text": text,
        "richText": rich if rich is not None else f"<div>{text}</div>",
        "attachments": [],
        "truncationStatus": "NOT_TRUNCATED",
        "status": {"statusType": "SENT" if not incoming else "RECEIVED"},
        "direction": direction,
        "channelId": "1002",
        "channelAccountId": "240983968",
    }


def comment(text: str) -> dict[str, Any]:
    """An internal COMMENT (PublicComment): a note between agents."""
    return {
        "type": "COMMENT",
        "createdBy": "A-1234567",
        "client": {"clientType": "HUBSPOT"},
        "senders": [{"actorId": "A-1234567", "name": "Mark Strong"}],
        "recipients": [],
        "archived": False,
        "text": text,
        "richText": f"<p>{text}</p>",
        "attachments": [],
    }
