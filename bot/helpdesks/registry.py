"""Which helpdesk connectors the settings configure."""

from __future__ import annotations

import time

from bot.helpdesks.base import Helpdesk
from bot.helpdesks.http_client import RetryPolicy, Sleep
from bot.helpdesks.hubspot import HubSpotHelpdesk
from bot.helpdesks.intercom import IntercomHelpdesk
from bot.helpdesks.zendesk import ZendeskHelpdesk
from bot.settings import Settings, SettingsError


def zendesk_configured(settings: Settings) -> bool:
    """Whether Zendesk has an account (subdomain or base URL), an email and a token."""
    account = settings.zendesk_subdomain or settings.zendesk_base_url
    return bool(account and settings.zendesk_email and settings.zendesk_token)


def intercom_configured(settings: Settings) -> bool:
    """Whether Intercom has an access token."""
    return bool(settings.intercom_token)


def hubspot_configured(settings: Settings) -> bool:
    """Whether HubSpot has a private app token."""
    return bool(settings.hubspot_token)


def check_helpdesk_settings(settings: Settings) -> None:
    """Raise SettingsError naming the variable when a connector is only half configured."""
    email, token = settings.zendesk_email, settings.zendesk_token
    if email and not token:
        raise SettingsError("DEBRIEF_ZENDESK_TOKEN is not set (DEBRIEF_ZENDESK_EMAIL is)")
    if token and not email:
        raise SettingsError("DEBRIEF_ZENDESK_EMAIL is not set (DEBRIEF_ZENDESK_TOKEN is)")
    if email and token and not (settings.zendesk_subdomain or settings.zendesk_base_url):
        raise SettingsError(
            "DEBRIEF_ZENDESK_SUBDOMAIN is not set (needed with DEBRIEF_ZENDESK_EMAIL and _TOKEN)"
        )
    if settings.hubspot_base_url and not settings.hubspot_token:
        raise SettingsError("DEBRIEF_HUBSPOT_TOKEN is not set (DEBRIEF_HUBSPOT_BASE_URL is)")


def configured_helpdesks(settings: Settings, *, sleep: Sleep = time.sleep) -> list[Helpdesk]:
    """A connector for every helpdesk whose required settings are all present."""
    helpdesks: list[Helpdesk] = []
    if zendesk_configured(settings):
        helpdesks.append(ZendeskHelpdesk.from_settings(settings, sleep=sleep))
    if intercom_configured(settings):
        helpdesks.append(IntercomHelpdesk.from_settings(settings, sleep=sleep))
    if hubspot_configured(settings):
        helpdesks.append(HubSpotHelpdesk.from_settings(settings, sleep=sleep))
    return helpdesks


def helpdesk_for(
    settings: Settings, name: str, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
) -> Helpdesk | None:
    """The connector for one helpdesk (e.g. "zendesk"), or None when it is not configured;
    `policy` bounds how long and how hard it tries (someone waiting wants an answer soon)."""
    key = name.strip().lower()
    if key == ZendeskHelpdesk.name and zendesk_configured(settings):
        return ZendeskHelpdesk.from_settings(settings, sleep=sleep, policy=policy)
    if key == IntercomHelpdesk.name and intercom_configured(settings):
        return IntercomHelpdesk.from_settings(settings, sleep=sleep, policy=policy)
    if key == HubSpotHelpdesk.name and hubspot_configured(settings):
        return HubSpotHelpdesk.from_settings(settings, sleep=sleep, policy=policy)
    return None
