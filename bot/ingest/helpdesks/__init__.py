"""Helpdesk connectors: rated conversations and their transcripts, behind one interface."""

from bot.ingest.helpdesks.base import (
    Helpdesk,
    HelpdeskAuthError,
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    KnowsAssignee,
    RatingRecord,
    Transcript,
)
from bot.ingest.helpdesks.freshdesk import FreshdeskHelpdesk
from bot.ingest.helpdesks.gorgias import GorgiasHelpdesk
from bot.ingest.helpdesks.helpscout import HelpScoutHelpdesk
from bot.ingest.helpdesks.hubspot import HubSpotHelpdesk
from bot.ingest.helpdesks.registry import (
    check_helpdesk_settings,
    configured_helpdesks,
    helpdesk_for,
)

__all__ = [
    "FreshdeskHelpdesk",
    "GorgiasHelpdesk",
    "HelpScoutHelpdesk",
    "Helpdesk",
    "HelpdeskAuthError",
    "HelpdeskError",
    "HelpdeskNotFound",
    "HelpdeskUnavailable",
    "HubSpotHelpdesk",
    "KnowsAssignee",
    "RatingRecord",
    "Transcript",
    "check_helpdesk_settings",
    "configured_helpdesks",
    "helpdesk_for",
]
