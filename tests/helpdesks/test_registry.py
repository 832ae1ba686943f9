"""Which connectors the settings build."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.settings import Settings, SettingsError
from bot.ingest.helpdesks.intercom import IntercomHelpdesk
from bot.ingest.helpdesks.registry import (
    CONNECTORS,
    any_helpdesk_configured,
    check_helpdesk_settings,
    configured_helpdesks,
    helpdesk_for,
    none_configured_message,
)
from bot.ingest.helpdesks.zendesk import ZendeskHelpdesk

NONE = {
    "DEBRIEF_ZENDESK_SUBDOMAIN": None,
    "DEBRIEF_ZENDESK_EMAIL": None,
    "DEBRIEF_ZENDESK_TOKEN": None,
    "DEBRIEF_ZENDESK_BASE_URL": None,
    "DEBRIEF_INTERCOM_TOKEN": None,
    "DEBRIEF_INTERCOM_APP_ID": None,
    "DEBRIEF_INTERCOM_BASE_URL": None,
}
ZENDESK = {
    "DEBRIEF_ZENDESK_SUBDOMAIN": "acme",
    "DEBRIEF_ZENDESK_EMAIL": "admin@acme.test",
    "DEBRIEF_ZENDESK_TOKEN": "t",
}


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **{**NONE, **values})


def names(s: Settings) -> list[str]:
    helpdesks = configured_helpdesks(s)
    for helpdesk in helpdesks:
        helpdesk.close()
    return [h.name for h in helpdesks]


def test_nothing_configured_builds_nothing():
    assert names(settings()) == []
    assert helpdesk_for(settings(), "zendesk") is None


def test_each_vendor_needs_its_required_settings():
    assert names(settings(**ZENDESK)) == ["zendesk"]
    assert names(settings(DEBRIEF_INTERCOM_TOKEN="x")) == ["intercom"]
    assert names(settings(**ZENDESK, DEBRIEF_INTERCOM_TOKEN="x")) == ["zendesk", "intercom"]
    base_only = {**ZENDESK, "DEBRIEF_ZENDESK_SUBDOMAIN": None}
    assert names(settings(**base_only, DEBRIEF_ZENDESK_BASE_URL="http://127.0.0.1:9")) == [
        "zendesk"
    ]
    assert names(settings(DEBRIEF_ZENDESK_SUBDOMAIN="acme")) == []  # deep links only
    assert names(settings(DEBRIEF_INTERCOM_APP_ID="abc")) == []


def test_helpdesk_for_picks_one_by_name():
    s = settings(**ZENDESK, DEBRIEF_INTERCOM_TOKEN="x")
    zendesk = helpdesk_for(s, "Zendesk")
    intercom = helpdesk_for(s, "intercom")
    assert isinstance(zendesk, ZendeskHelpdesk) and isinstance(intercom, IntercomHelpdesk)
    zendesk.close()
    intercom.close()
    assert helpdesk_for(s, "freshdesk") is None


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"DEBRIEF_ZENDESK_EMAIL": "a@b.c"}, "DEBRIEF_ZENDESK_TOKEN"),
        ({"DEBRIEF_ZENDESK_TOKEN": "t"}, "DEBRIEF_ZENDESK_EMAIL"),
        (
            {"DEBRIEF_ZENDESK_EMAIL": "a@b.c", "DEBRIEF_ZENDESK_TOKEN": "t"},
            "DEBRIEF_ZENDESK_SUBDOMAIN",
        ),
    ],
)
def test_half_configured_zendesk_names_the_missing_variable(values, variable):
    with pytest.raises(SettingsError) as caught:
        check_helpdesk_settings(settings(**values))
    assert str(caught.value).startswith(variable)


def test_complete_or_absent_settings_pass_the_check():
    check_helpdesk_settings(settings())
    check_helpdesk_settings(settings(**ZENDESK, DEBRIEF_INTERCOM_TOKEN="x"))


def test_from_settings_refuses_missing_settings():
    with pytest.raises(SettingsError, match="DEBRIEF_ZENDESK_SUBDOMAIN"):
        ZendeskHelpdesk.from_settings(settings(DEBRIEF_ZENDESK_EMAIL="a@b.c"))
    with pytest.raises(SettingsError, match="DEBRIEF_ZENDESK_TOKEN"):
        ZendeskHelpdesk.from_settings(settings(**{**ZENDESK, "DEBRIEF_ZENDESK_TOKEN": None}))
    with pytest.raises(SettingsError, match="DEBRIEF_INTERCOM_TOKEN"):
        IntercomHelpdesk.from_settings(settings())


def test_nothing_configured_names_every_connector_and_its_settings():
    message = none_configured_message()
    for connector, _, how in CONNECTORS:
        assert f"DEBRIEF_{connector.name.upper()}_" in how
        assert how in message
    assert not any_helpdesk_configured(settings())
    assert any_helpdesk_configured(settings(DEBRIEF_INTERCOM_TOKEN="x"))
