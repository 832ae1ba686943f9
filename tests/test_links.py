"""Recognising a helpdesk conversation in a message's links: what Debrief builds, what each
helpdesk shows its agents, and nothing else however hostile the text."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as run
from hypothesis import strategies as st

from bot.core.settings import Settings
from bot.ingest.deeplinks import HELPDESKS, deep_link
from bot.ingest.links import find_links, recognise
from handlers.shortcut import message_texts

BASE = Settings(DATABASE_URL="sqlite://")
ACCOUNTS = BASE.model_copy(
    update={
        "zendesk_subdomain": "acme",
        "intercom_app_id": "abc123",
        "freshdesk_domain": "acme",
        "gorgias_domain": "acme",
        "hubspot_portal_id": "4455",
    }
)
TEMPLATES = BASE.model_copy(
    update={
        "deeplink_other": "https://acme.kustomer.app/app/conversations/{external_id}",
        "deeplink_zendesk": "https://help.acme.test/tickets/{external_id}/view",
    }
)

# (settings, url, helpdesk, external id)
RECOGNISED: list[tuple[Settings, str, str, str]] = [
    (BASE, "https://support.zendesk.com/agent/tickets/123", "zendesk", "123"),
    (BASE, "https://support.zendesk.com/agent/tickets/123/events", "zendesk", "123"),
    (BASE, "https://acme.zendesk.com/agent/#/tickets/77", "zendesk", "77"),
    (BASE, "HTTPS://ACME.ZENDESK.COM/agent/tickets/9", "zendesk", "9"),
    (BASE, "https://app.intercom.com/a/inbox/xyz9/inbox/shared/all/conversation/215467?view=List",
     "intercom", "215467"),
    (BASE, "https://app.intercom.com/a/inbox/xyz9/inbox/conversation/88", "intercom", "88"),
    (BASE, "https://app.eu.intercom.com/a/apps/xyz9/inbox/inbox/all/conversations/77",
     "intercom", "77"),
    (BASE, "https://acme.freshdesk.com/a/tickets/51", "freshdesk", "51"),
    (BASE, "https://acme.freshdesk.com/helpdesk/tickets/52", "freshdesk", "52"),
    (BASE, "https://secure.helpscout.net/conversation/2201345/8812?folderId=1", "helpscout",
     "2201345"),
    (BASE, "https://acme.gorgias.com/app/ticket/9911", "gorgias", "9911"),
    (BASE, "https://acme.gorgias.com/app/views/123/ticket/9912", "gorgias", "9912"),
    (BASE, "https://app.hubspot.com/contacts/4455/ticket/1235", "hubspot", "1235"),
    (BASE, "https://app-eu1.hubspot.com/help-desk/4455/view/12/ticket/1236", "hubspot", "1236"),
    (BASE, "https://app.frontapp.com/open/cnv_abc123", "front", "cnv_abc123"),
    (TEMPLATES, "https://acme.kustomer.app/app/conversations/5f3a-b9", "other", "5f3a-b9"),
    (TEMPLATES, "https://help.acme.test/tickets/A%2F7/view?x=1", "zendesk", "A/7"),
]  # fmt: skip
BUILT = [  # every deep link Debrief builds from the connector settings is recognised
    (ACCOUNTS, desk, ext)
    for desk, ext in [("zendesk", "4512"), ("intercom", "889"), ("freshdesk", "51"),
                      ("gorgias", "9911"), ("hubspot", "1234"), ("helpscout", "2201"),
                      ("front", "cnv_77ab")]
] + [(TEMPLATES, "other", "x-9"), (TEMPLATES, "zendesk", "12")]  # fmt: skip


@pytest.mark.parametrize(("settings", "url", "desk", "ext"), RECOGNISED, ids=lambda v: str(v)[:60])
def test_recognises_each_helpdesk_url(settings: Settings, url: str, desk: str, ext: str) -> None:
    found = recognise(url=url, settings=settings)
    assert found is not None and (found.helpdesk, found.external_id) == (desk, ext)


@pytest.mark.parametrize(("settings", "desk", "ext"), BUILT, ids=lambda v: str(v)[:30])
def test_recognises_every_deep_link_debrief_builds(settings: Settings, desk: str, ext: str) -> None:
    url = deep_link(settings, desk, ext)
    assert url is not None
    [found] = find_links(texts=[f"see <{url}|the ticket>"], settings=settings)
    assert (found.helpdesk, found.external_id, found.url) == (desk, ext, url)


def test_a_configured_account_is_the_only_one_recognised() -> None:
    other = "https://other.zendesk.com/agent/tickets/4512"
    assert recognise(url=other, settings=BASE) is not None
    assert recognise(url=other, settings=ACCOUNTS) is None  # ticket 4512 there is not ours
    assert recognise(url="https://other.freshdesk.com/a/tickets/1", settings=ACCOUNTS) is None


CUSTOM = [  # DEBRIEF_DEEPLINK_* templates as an admin might write them
    "https://help.acme.test:8443/tickets/{external_id}",
    "http://help.acme.test/t/{external_id}",
    "https://help.acme.test/view?ticket={external_id}",
    "https://help.acme.test/v?a=1&id={external_id}&b=2",
    "https://help.acme.test/#/tickets/{external_id}",
    "https://help.acme.test/t/{external_id}/x#{external_id}",
    "https://Help.Acme.Test./T/{external_id}.html",
]
# every helpdesk with its default link (from the connector settings), and with each custom one
SHAPES = [(ACCOUNTS, desk) for desk in HELPDESKS if deep_link(ACCOUNTS, desk, "1")] + [
    (BASE.model_copy(update={f"deeplink_{desk}": template}), desk)
    for desk in HELPDESKS
    for template in CUSTOM
]
IDS = st.text(min_size=1, max_size=200).filter(lambda t: t.isprintable() and t == t.strip())
WRAPS = ["<{}|the ticket>", "<{}>", "{}", "see {} now", "({})"]


def _as_written(url: str, how: int) -> str:
    """The same URL as a person or Slack may write it: http or https, the host in capitals."""
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    if how & 1:
        scheme = "http" if scheme == "https" else "https"
    if how & 2:
        host = host.upper()
    return f"{scheme}://{host}{slash}{path}"


@run(max_examples=300, deadline=None)
@given(
    shape=st.sampled_from(SHAPES),
    ext=st.one_of(IDS, st.sampled_from(["4512", "cnv_77ab", "A/7", "a b", "x%2Fy", "ünï", "1.",
                                        "²", "?#&", "%", "\\x", "..", "215467" * 33])),
    wrap=st.sampled_from(WRAPS),
    how=st.integers(0, 3),
)  # fmt: skip
def test_every_deep_link_debrief_builds_round_trips(
    shape: tuple[Settings, str], ext: str, wrap: str, how: int
) -> None:
    settings, desk = shape
    url = deep_link(settings, desk, ext)
    assert url is not None
    if ext.endswith(".") and wrap in ("see {} now", "({})"):
        wrap = "<{}>"  # a bare URL's last full stop is read as the sentence's
    found = find_links(texts=[wrap.format(_as_written(url, how))], settings=settings)
    assert [(f.helpdesk, f.external_id) for f in found] == [(desk, ext)]


ZD = "https://acme.zendesk.com/agent/tickets/77"
MESSAGES: dict[str, dict[str, Any]] = {
    "slack markup": {"text": f"rough one: <{ZD}|#77> today"},
    "markup with a label that is a URL": {"text": f"<{ZD}|{ZD}>"},
    "bare, then a full stop": {"text": f"look at {ZD}."},
    "in parentheses": {"text": f"(see {ZD})"},
    "escaped query": {"text": f"<{ZD}?a=1&amp;b=2>"},
    "markup around a full stop": {"text": f"<{ZD}.|#77>"},
    "a rich text link ending in a full stop": {"text": "", "blocks": [
        {"type": "rich_text", "elements": [{"type": "link", "url": f"{ZD}."}]}]},
    "rich text link": {
        "text": "rough one",
        "blocks": [{"type": "rich_text", "block_id": "x", "elements": [
            {"type": "rich_text_section", "elements": [
                {"type": "text", "text": "see "}, {"type": "link", "url": ZD, "text": "#77"}]}]}],
    },
    "attachment unfurl": {
        "text": "",
        "attachments": [{"from_url": ZD, "title": "Ticket #77", "title_link": ZD, "fallback": "x"}],
    },
    "section in blocks": {"text": "", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"<{ZD}|#77>"}}]},
}  # fmt: skip


@pytest.mark.parametrize("message", list(MESSAGES.values()), ids=list(MESSAGES))
def test_finds_the_link_wherever_the_message_holds_it(message: dict[str, Any]) -> None:
    [found] = find_links(texts=message_texts(message), settings=BASE)
    assert (found.helpdesk, found.external_id) == ("zendesk", "77")


def test_several_links_in_order_each_once() -> None:
    text = (
        "https://example.com/x https://app.frontapp.com/open/cnv_1 "
        f"<{ZD}|a> {ZD} https://acme.freshdesk.com/a/tickets/5"
    )
    found = find_links(texts=[text], settings=BASE)
    assert [(f.helpdesk, f.external_id) for f in found] == [
        ("front", "cnv_1"),
        ("zendesk", "77"),
        ("freshdesk", "5"),
    ]


HOSTILE = [
    "https://acme.zendesk.com.evil.io/agent/tickets/1",
    "https://evilzendesk.com/agent/tickets/1",
    "https://zendesk.com/agent/tickets/1",
    "https://acme.zendesk.com@evil.io/agent/tickets/1",
    "https://user:pw@acme.zendesk.com/agent/tickets/1",
    "https://acme.zendesk.com:8080/agent/tickets/1",
    "https://acme.zendesk.com:443@evil.io/agent/tickets/1",
    "https://evil.io#@acme.zendesk.com/agent/tickets/1",
    "https://evil.io\\@acme.zendesk.com/agent/tickets/1",
    "https://acme.zendesk.com\\@evil.io/agent/tickets/1",
    "https://xn--acme-zendesk-com.evil.io/agent/tickets/1",
    "https://acme.xn--zndesk-2of.com/agent/tickets/1",
    "javascript:alert(1)//acme.zendesk.com/agent/tickets/1",
    "<javascript:alert(1)|click>",
    "data:text/html,acme.zendesk.com/agent/tickets/1",
    "ftp://acme.zendesk.com/agent/tickets/1",
    "https://acme.zendesk.com/agent/tickets/abc",
    "https://acme.zendesk.com/agent/tickets/" + "9" * 50,
    "https://acme.zendesk.com/agent/users/12",
    "https://acme.zen\u200bdesk.com/agent/tickets/1",  # an invisible character in the host
    "https://acme.z\u0435ndesk.com/agent/tickets/1",  # a Cyrillic е
    "https://acme.zendesk.com\u202e/agent/tickets/1",
    "https://acme.zendesk.com\x00/agent/tickets/1",
    "https://app.intercom.com.evil.io/a/inbox/x/inbox/conversation/1",
    "https://secure.helpscout.net.evil.io/conversation/1",
    "https://app.frontapp.com/open/<script>",
    "https://[::1/agent/tickets/1",
    "http://127.0.0.1/agent/tickets/1",
    "https://acme.freshdesk.com/support/tickets/1",
    "",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_never_matches(text: str) -> None:
    assert find_links(texts=[text, f"<{text}|label>"], settings=BASE) == []


def test_huge_messages_are_read_quickly_and_only_so_far() -> None:
    started = time.monotonic()
    assert find_links(texts=["https://" + "a" * 200_000], settings=BASE) == []
    assert find_links(texts=["x" * 250_000 + ZD], settings=BASE) == []  # past what is read
    many = " ".join(f"https://example.com/{i}" for i in range(5_000)) + " " + ZD
    assert find_links(texts=[many], settings=BASE) == []  # past the URLs read
    nested: dict[str, Any] = {"text": "x"}
    for _ in range(500):
        nested = {"attachments": [nested]}
    assert message_texts({"attachments": [nested]}) == []  # too deep to read, no RecursionError
    assert find_links(texts=message_texts({"text": ZD, "blocks": [{}] * 10_000}), settings=BASE)
    assert time.monotonic() - started < 5


LOOKALIKES = [  # on any settings, custom templates included: never the helpdesk's host
    "https://acme.zendesk.com.evil.io/agent/tickets/1",
    "https://acme.zendesk.com@evil.io/agent/tickets/1",
    "https://acme.zendesk.com:443@evil.io/agent/tickets/1",
    "https://evil.io/https://acme.zendesk.com/agent/tickets/1",
    "https://evil.io/?u=https://acme.zendesk.com/agent/tickets/1",
    "https://help.acme.test.evil.io/tickets/1",
    "https://help.acme.test@evil.io/tickets/1",
    "https://evil.io@help.acme.test/tickets/1",
    "https://help.acme.test:8444/tickets/1",
    "https://xn--help-acme-test.evil.io/tickets/1",
    "https://evil.io/?https://help.acme.test/tickets/1",
    "https://help.acme.test/other/tickets/1",
]
ANY_SETTINGS = [BASE, ACCOUNTS, TEMPLATES] + [
    BASE.model_copy(update={"deeplink_other": template}) for template in CUSTOM
]


@pytest.mark.parametrize("settings", ANY_SETTINGS, ids=range(len(ANY_SETTINGS)))
@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalike_hosts_never_match_any_template(settings: Settings, text: str) -> None:
    assert find_links(texts=[text, f"<{text}|label>", f"<{text}>"], settings=settings) == []
