"""Helpdesk connectors: rated conversations and their transcripts, behind one interface."""

from bot.helpdesks.base import (
    Helpdesk,
    HelpdeskAuthError,
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.helpdesks.freshdesk import FreshdeskHelpdesk
from bot.helpdesks.gorgias import GorgiasHelpdesk
from bot.helpdesks.helpscout import HelpScoutHelpdesk
from bot.helpdesks.hubspot import HubSpotHelpdesk
from bot.helpdesks.registry import check_helpdesk_settings, configured_helpdesks, helpdesk_for

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
    "RatingRecord",
    "Transcript",
    "check_helpdesk_settings",
    "configured_helpdesks",
    "helpdesk_for",
]
