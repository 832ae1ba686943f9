"""A fake HubSpot API on pytest-httpserver, answering as HubSpot documents it.

Sources: the OpenAPI specs in github.com/HubSpot/HubSpot-public-api-spec-collection
(PublicApiSpecs/CRM/Feedback Submissions, Tickets, Crm Owners, Associations v4, Contacts;
Conversations/Conversations v3): paths, request bodies (PublicObjectSearchRequest,
BatchReadInputSimplePublicObjectId, BatchInputPublicFetchAssociationsBatchRequest), answers
(CollectionResponseWithTotalSimplePublicObject, BatchResponseSimplePublicObject[WithErrors],
BatchResponsePublicAssociationMultiWithLabel[WithErrors], CollectionResponsePublicOwnerForwardPaging,
PublicThread, CollectionResponsePublicMessageForwardPaging) and the Error shape;
developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm (filters, one sort, 200 a
page, ``after`` as an integer, 10,000 results a query, a 400 past them, no rate-limit headers
on search answers); developers.hubspot.com/docs/api/usage-details (the 429 body with
``errorType``/``policyName``, the X-HubSpot-RateLimit-* headers); knowledge.hubspot.com
feedback submission properties (CSAT answers 0-2, NPS 0-10, CES 1-7).

The fake is strict where HubSpot is (auth, body shapes, limits, cursors) and records in
`problems` what HubSpot would silently ignore (an unknown query parameter or body key, a
property it doesn't have), so a test can insist there are none.

The parts: ``api`` (HubSpot's credentials, paths, limits and properties, and its timestamp
format), ``records`` (what the fake holds and how a test fills it, with the conversation
messages a test adds) and ``server`` (``FakeHubSpot``: the endpoints, served on the
httpserver).
"""

from tests.helpdesks.fake_hubspot.api import (
    ASSOCIATIONS,
    OWNERS,
    PORTAL_ID,
    SEARCH,
    TICKETS_BATCH,
    TOKEN,
    iso,
)
from tests.helpdesks.fake_hubspot.records import comment, message
from tests.helpdesks.fake_hubspot.server import FakeHubSpot

__all__ = [
    "ASSOCIATIONS",
    "OWNERS",
    "PORTAL_ID",
    "SEARCH",
    "TICKETS_BATCH",
    "TOKEN",
    "FakeHubSpot",
    "comment",
    "iso",
    "message",
]
