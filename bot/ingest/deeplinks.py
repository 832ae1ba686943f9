"""Deep links from a conversation back to its helpdesk."""

from __future__ import annotations

from urllib.parse import quote

from bot.core.settings import Settings

HELPDESKS = (
    "zendesk",
    "intercom",
    "freshdesk",
    "helpscout",
    "gorgias",
    "front",
    "hubspot",
    "other",
)


def link_template(settings: Settings, helpdesk: str) -> str | None:
    """The `{external_id}` template for a helpdesk: the setting, else the account's usual pattern."""
    explicit = getattr(settings, f"deeplink_{helpdesk}", None)
    if explicit:
        return str(explicit)
    if helpdesk == "zendesk" and settings.zendesk_subdomain:
        return f"https://{settings.zendesk_subdomain}.zendesk.com/agent/tickets/{{external_id}}"
    if helpdesk == "intercom" and settings.intercom_app_id:
        return (
            f"https://app.intercom.com/a/inbox/{settings.intercom_app_id}"
            "/inbox/conversation/{external_id}"
        )
    if helpdesk == "freshdesk" and settings.freshdesk_domain:
        return f"https://{settings.freshdesk_domain}.freshdesk.com/a/tickets/{{external_id}}"
    if helpdesk == "gorgias" and settings.gorgias_domain:
        return f"https://{settings.gorgias_domain}.gorgias.com/app/ticket/{{external_id}}"
    if helpdesk == "hubspot" and settings.hubspot_portal_id:
        return (
            f"https://app.hubspot.com/contacts/{settings.hubspot_portal_id}"
            "/record/0-5/{external_id}"
        )
    if helpdesk == "helpscout":
        return "https://secure.helpscout.net/conversation/{external_id}"
    if helpdesk == "front":
        return "https://app.frontapp.com/open/{external_id}"
    return None


def deep_link(settings: Settings, helpdesk: str, external_id: str) -> str | None:
    """The conversation's URL in its helpdesk, or None when nothing says how to build one."""
    template = link_template(settings, helpdesk)
    if template is None:
        return None
    return template.replace("{external_id}", quote(external_id, safe=""))
