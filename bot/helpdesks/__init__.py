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
from bot.helpdesks.hubspot import HubSpotHelpdesk
from bot.helpdesks.registry import check_helpdesk_settings, configured_helpdesks, helpdesk_for

__all__ = [
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
