"""Fixtures: fake Zendesk, Intercom and Gorgias APIs on loopback, connectors pointed at them;
Help Scout's token cache emptied around a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from bot.ingest.helpdesks.gorgias import GorgiasHelpdesk
from bot.ingest.helpdesks.helpscout import TOKENS
from bot.ingest.helpdesks.intercom import IntercomHelpdesk
from bot.ingest.helpdesks.zendesk import ZendeskHelpdesk
from tests.helpdesks import fake_intercom, fake_zendesk, gorgias_support
from tests.helpdesks.fake_gorgias import FakeGorgias
from tests.helpdesks.fake_intercom import FakeIntercom
from tests.helpdesks.fake_zendesk import FakeZendesk


@pytest.fixture()
def sleeps() -> list[float]:
    """Every wait a connector asked for, instead of sleeping."""
    return []


@pytest.fixture()
def zd_fake(httpserver: HTTPServer) -> FakeZendesk:
    """A fake Zendesk with no data yet."""
    return FakeZendesk(httpserver).install()


@pytest.fixture()
def zendesk(zd_fake: FakeZendesk, sleeps: list[float]) -> Iterator[ZendeskHelpdesk]:
    """A Zendesk connector with the fake's credentials."""
    connector = ZendeskHelpdesk(
        base_url=zd_fake.base_url,
        email=fake_zendesk.EMAIL,
        token=fake_zendesk.TOKEN,
        sleep=sleeps.append,
        clock=lambda: fake_zendesk.NOW,
    )
    yield connector
    connector.close()


@pytest.fixture()
def ic_fake(httpserver: HTTPServer) -> FakeIntercom:
    """A fake Intercom with no data yet."""
    return FakeIntercom(httpserver).install()


@pytest.fixture()
def intercom(ic_fake: FakeIntercom, sleeps: list[float]) -> Iterator[IntercomHelpdesk]:
    """An Intercom connector with the fake's token."""
    connector = IntercomHelpdesk(
        token=fake_intercom.TOKEN, base_url=ic_fake.base_url, sleep=sleeps.append
    )
    yield connector
    connector.close()


@pytest.fixture()
def gg_fake(httpserver: HTTPServer) -> FakeGorgias:
    """A fake Gorgias with no data yet."""
    return FakeGorgias(httpserver).install()


@pytest.fixture()
def gorgias(gg_fake: FakeGorgias, sleeps: list[float]) -> Iterator[GorgiasHelpdesk]:
    """A Gorgias connector with the fake's credentials, recording its waits."""
    helpdesk = gorgias_support.connector(gg_fake, sleeps)
    yield helpdesk
    helpdesk.close()


@pytest.fixture()
def no_cached_tokens() -> Iterator[None]:
    """Help Scout's tokens are kept for the process; a test using this starts without one (the
    Help Scout test files use it for every test)."""
    TOKENS.clear()
    yield
    TOKENS.clear()
