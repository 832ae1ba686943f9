"""Which helpdesk connectors the settings configure."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from bot.core.settings import Settings, SettingsError
from bot.ingest.helpdesks.base import Helpdesk
from bot.ingest.helpdesks.freshdesk import FreshdeskHelpdesk
from bot.ingest.helpdesks.gorgias import GorgiasHelpdesk
from bot.ingest.helpdesks.helpscout import HelpScoutHelpdesk
from bot.ingest.helpdesks.http_client import RetryPolicy, Sleep
from bot.ingest.helpdesks.hubspot import HubSpotHelpdesk
from bot.ingest.helpdesks.intercom import IntercomHelpdesk
from bot.ingest.helpdesks.zendesk import ZendeskHelpdesk


def zendesk_configured(settings: Settings) -> bool:
    """Whether Zendesk has an account (subdomain or base URL), an email and a token."""
    account = settings.zendesk_subdomain or settings.zendesk_base_url
    return bool(account and settings.zendesk_email and settings.zendesk_token)


def intercom_configured(settings: Settings) -> bool:
    """Whether Intercom has an access token."""
    return bool(settings.intercom_token)


def freshdesk_configured(settings: Settings) -> bool:
    """Whether Freshdesk has an account (domain or base URL) and an API key."""
    account = settings.freshdesk_domain or settings.freshdesk_base_url
    return bool(account and settings.freshdesk_api_key)


def gorgias_configured(settings: Settings) -> bool:
    """Whether Gorgias has an account (domain or base URL), an email and an API key."""
    account = settings.gorgias_domain or settings.gorgias_base_url
    return bool(account and settings.gorgias_email and settings.gorgias_api_key)


def check_gorgias_settings(settings: Settings) -> None:
    """SettingsError naming the variable when Gorgias is half configured or its domain is
    malformed (Settings itself checks DEBRIEF_GORGIAS_BASE_URL)."""
    domain, base = settings.gorgias_domain, settings.gorgias_base_url
    email, key = settings.gorgias_email, settings.gorgias_api_key
    if domain and not domain.replace("-", "").isalnum():
        raise SettingsError(
            "DEBRIEF_GORGIAS_DOMAIN must be the account name (acme for acme.gorgias.com)"
        )
    if (key or base) and not email:
        raise SettingsError("DEBRIEF_GORGIAS_EMAIL is not set (the REST API username)")
    if email and not key:
        raise SettingsError("DEBRIEF_GORGIAS_API_KEY is not set (DEBRIEF_GORGIAS_EMAIL is)")
    if email and key and not (domain or base):
        raise SettingsError(
            "DEBRIEF_GORGIAS_DOMAIN is not set (needed with DEBRIEF_GORGIAS_EMAIL and _API_KEY)"
        )


def helpscout_configured(settings: Settings) -> bool:
    """Whether Help Scout has an app id and secret (the base URL is optional)."""
    return bool(settings.helpscout_app_id and settings.helpscout_app_secret)


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
    if settings.freshdesk_api_key and not (
        settings.freshdesk_domain or settings.freshdesk_base_url
    ):
        raise SettingsError(
            "DEBRIEF_FRESHDESK_DOMAIN is not set (needed with DEBRIEF_FRESHDESK_API_KEY)"
        )
    if settings.freshdesk_base_url and not settings.freshdesk_api_key:
        raise SettingsError("DEBRIEF_FRESHDESK_API_KEY is not set (DEBRIEF_FRESHDESK_BASE_URL is)")
    check_gorgias_settings(settings)
    app_id, app_secret = settings.helpscout_app_id, settings.helpscout_app_secret
    if app_id and not app_secret:
        raise SettingsError("DEBRIEF_HELPSCOUT_APP_SECRET is not set (DEBRIEF_HELPSCOUT_APP_ID is)")
    if app_secret and not app_id:
        raise SettingsError("DEBRIEF_HELPSCOUT_APP_ID is not set (DEBRIEF_HELPSCOUT_APP_SECRET is)")
    if settings.hubspot_base_url and not settings.hubspot_token:
        raise SettingsError("DEBRIEF_HUBSPOT_TOKEN is not set (DEBRIEF_HUBSPOT_BASE_URL is)")


class _Connector(Protocol):
    name: str

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Sleep = ..., policy: RetryPolicy | None = ...
    ) -> Helpdesk: ...


# each connector: its class, whether the settings configure it, and what to set for it
CONNECTORS: tuple[tuple[type[_Connector], Callable[[Settings], bool], str], ...] = (
    (ZendeskHelpdesk, zendesk_configured, "DEBRIEF_ZENDESK_SUBDOMAIN, _EMAIL and _TOKEN"),
    (IntercomHelpdesk, intercom_configured, "DEBRIEF_INTERCOM_TOKEN"),
    (FreshdeskHelpdesk, freshdesk_configured, "DEBRIEF_FRESHDESK_DOMAIN and _API_KEY"),
    (GorgiasHelpdesk, gorgias_configured, "DEBRIEF_GORGIAS_DOMAIN, _EMAIL and _API_KEY"),
    (HelpScoutHelpdesk, helpscout_configured, "DEBRIEF_HELPSCOUT_APP_ID and _APP_SECRET"),
    (HubSpotHelpdesk, hubspot_configured, "DEBRIEF_HUBSPOT_TOKEN"),
)


def any_helpdesk_configured(settings: Settings) -> bool:
    """Whether the settings configure at least one helpdesk connector."""
    return any(configured(settings) for _, configured, _ in CONNECTORS)


def none_configured_message() -> str:
    """What to tell someone who asked for a sync with no helpdesk configured."""
    ways = [how for _, _, how in CONNECTORS]
    return "no helpdesk is configured: set " + "; or ".join(ways)


def configured_helpdesks(settings: Settings, *, sleep: Sleep = time.sleep) -> list[Helpdesk]:
    """A connector for every helpdesk whose required settings are all present."""
    return [
        connector.from_settings(settings, sleep=sleep)
        for connector, configured, _ in CONNECTORS
        if configured(settings)
    ]


def helpdesk_for(
    settings: Settings, name: str, *, sleep: Sleep = time.sleep, policy: RetryPolicy | None = None
) -> Helpdesk | None:
    """The connector for one helpdesk (e.g. "zendesk"), or None when it is not configured;
    `policy` bounds how long and how hard it tries (someone waiting wants an answer soon)."""
    key = name.strip().lower()
    for connector, configured, _ in CONNECTORS:
        if key == connector.name and configured(settings):
            return connector.from_settings(settings, sleep=sleep, policy=policy)
    return None
