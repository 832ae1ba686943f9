"""Recognising a helpdesk conversation in a URL: the deep links Debrief builds and the agent-side
URLs each helpdesk shows its agents."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from bot.core.settings import Settings
from bot.ingest.deeplinks import HELPDESKS, link_template
from models.sample import EXTERNAL_ID_MAX

# what one message may hold before Debrief stops reading it: Slack allows 40,000 characters of
# text and 50 blocks of 3,000, so the largest message is read whole
TEXT_MAX = 200_000
URLS_MAX = 200
URL_MAX = 3_000

# a URL as it appears in text or inside Slack's `<url|label>` markup: it ends at whitespace,
# at `|` or `>` (the markup), at quotes or brackets that enclose it and at any character that
# is not printable ASCII (an invisible one hides nothing inside a link)
_URL = re.compile(r"(?i:https?://)[^\x00-\x20\x7f-\U0010ffff<>|\"'`()\[\]{}]{1,3000}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"  # one DNS label, ASCII only
_NUMBER = r"(\d{1,20})"
_END = r"(?:/.*)?$"


@dataclass(frozen=True)
class ConversationLink:
    """A helpdesk conversation a URL points at."""

    helpdesk: str
    external_id: str
    url: str


@dataclass(frozen=True)
class _Pattern:
    helpdesk: str
    host: re.Pattern[str]
    path: re.Pattern[str]
    account: str | None = None  # when set, the host's first label must be this account


def _account(value: str | None) -> str | None:
    return value.strip().lower() if value and value.strip() else None


def _patterns(settings: Settings) -> list[_Pattern]:
    """Each helpdesk's usual agent-side conversation URLs."""
    sub = rf"^({_LABEL})\."
    hubspot_host = re.compile(r"^app(?:-[a-z0-9]{1,10})?\.hubspot\.com$")
    return [
        _Pattern("zendesk", re.compile(sub + r"zendesk\.com$"),
                 re.compile(rf"^/agent/tickets/{_NUMBER}{_END}"),
                 _account(settings.zendesk_subdomain)),
        _Pattern("intercom", re.compile(r"^app(?:\.(?:eu|au))?\.intercom\.(?:com|io)$"),
                 re.compile(rf"^/a/(?:inbox|apps)/{_LABEL}/inbox/(?:[\w.-]{{1,100}}/){{0,6}}"
                            rf"conversations?/{_NUMBER}{_END}")),
        _Pattern("freshdesk", re.compile(sub + r"freshdesk\.com$"),
                 re.compile(rf"^/(?:a|helpdesk)/tickets/{_NUMBER}{_END}"),
                 _account(settings.freshdesk_domain)),
        _Pattern("helpscout", re.compile(r"^secure\.helpscout\.net$"),
                 re.compile(rf"^/conversation/{_NUMBER}{_END}")),
        _Pattern("gorgias", re.compile(sub + r"gorgias\.com$"),
                 re.compile(rf"^/app/(?:[\w-]{{1,100}}/)*ticket/{_NUMBER}{_END}"),
                 _account(settings.gorgias_domain)),
        _Pattern("hubspot", hubspot_host,
                 re.compile(rf"^/contacts/\d{{1,20}}/(?:record/0-5|ticket)/{_NUMBER}{_END}")),
        _Pattern("hubspot", hubspot_host,
                 re.compile(rf"^/help-desk/\d{{1,20}}/(?:[\w-]{{1,100}}/){{0,4}}ticket/{_NUMBER}{_END}")),
        _Pattern("front", re.compile(r"^app\.frontapp\.com$"),
                 re.compile(r"^/open/(cnv_[a-z0-9]{1,40})(?:/.*)?$")),
    ]  # fmt: skip


PLACEHOLDER = "{external_id}"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _normal(url: str) -> str | None:
    """The URL as compared with a template: https, the host without a trailing dot
    and without its scheme's default port (`HTTP://help.acme.test.:80/…` is `https://help…`)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    host = parts.netloc  # as written: the match ignores case, an id in it keeps its own
    if port is not None or host.endswith(":"):
        host = host[: host.rindex(":")]
    host = host.rstrip(".")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return urlunsplit(("https", host, parts.path, parts.query, parts.fragment))


@cache
def _template_pattern(template: str) -> re.Pattern[str] | None:
    """A URL built from a `{external_id}` template (the placeholder anywhere, even more than
    once), the id captured (then unquoted); None when the template isn't such a URL."""
    normal = _normal(template)
    if normal is None or PLACEHOLDER not in normal:
        return None
    first, *rest = normal.split(PLACEHOLDER)
    pattern = "^" + re.escape(first) + rf"([^/?#&\s]{{1,{URL_MAX}}})"
    pattern += r"\1".join(re.escape(piece) for piece in rest)
    # what may follow the template's end: more path, a query, a fragment (in a query, `&b=2`)
    tail = r"(?:[/?#&].*)?$" if "?" in first else r"(?:[/?#].*)?$"
    return re.compile(pattern + tail, re.IGNORECASE | re.DOTALL)


def _parts(url: str) -> SplitResult | None:
    """The URL's parts when it is a plain http(s) URL Debrief may read, else None."""
    if len(url) > URL_MAX or not url.isascii() or not url.isprintable():
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a malformed port raises ValueError)
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or "@" in parts.netloc:
        return None
    return parts if parts.hostname else None


def _from_templates(url: str, settings: Settings) -> ConversationLink | None:
    normal = _normal(url)
    if normal is None:
        return None
    for desk in HELPDESKS:
        template = link_template(settings, desk)
        pattern = _template_pattern(template) if template else None
        found = pattern.match(normal) if pattern is not None else None
        if found is not None:
            external_id = unquote(found.group(1)).strip()
            if external_id and len(external_id) <= EXTERNAL_ID_MAX and external_id.isprintable():
                return ConversationLink(desk, external_id, url)
    return None


def recognise(*, url: str, settings: Settings) -> ConversationLink | None:
    """The conversation this URL points at, or None when Debrief doesn't recognise it."""
    parts = _parts(url)
    if parts is None:
        return None
    found = _from_templates(url, settings)
    if found is not None:
        return found
    if parts.port not in (None, _DEFAULT_PORTS[parts.scheme.lower()]):
        return None  # a helpdesk's own agent-side URLs have no port
    host = (parts.hostname or "").lower().rstrip(".")
    path = parts.path
    if parts.fragment.startswith("/"):  # older single-page URLs: /agent/#/tickets/12
        path = path.rstrip("/") + parts.fragment
    for pattern in _patterns(settings):
        on_host = pattern.host.match(host)
        if on_host is None or (pattern.account and on_host.group(1) != pattern.account):
            continue
        on_path = pattern.path.match(path)
        if on_path is not None:
            return ConversationLink(pattern.helpdesk, on_path.group(1), url)
    return None


def _whole(text: str, start: int, end: int) -> bool:
    """Whether the URL at text[start:end] is delimited: Slack's `<url|label>` or `<url>`, or the
    whole string (a rich text link's or an unfurl's URL), so its last character is its own."""
    if start == 0 and end == len(text):
        return True
    return start > 0 and text[start - 1] == "<" and text[end : end + 1] in ("|", ">")


def find_links(*, texts: Iterable[str], settings: Settings) -> list[ConversationLink]:
    """Every distinct conversation linked from these texts, in the order they appear (the
    texts are read up to TEXT_MAX characters in all, URLS_MAX URLs)."""
    found: dict[tuple[str, str], ConversationLink] = {}
    budget, seen = TEXT_MAX, 0
    for text in texts:
        if budget <= 0 or seen >= URLS_MAX:
            break
        chunk = text[:budget]
        budget -= len(chunk)
        for match in _URL.finditer(chunk):
            seen += 1
            if seen > URLS_MAX:
                break
            url = match.group(0).replace("&amp;", "&")
            trimmed = url.rstrip(".,;:!?")  # a full stop after a bare URL isn't part of it
            link = None
            if _whole(chunk, match.start(), match.end()) and trimmed != url:
                link = recognise(url=url, settings=settings)  # its own last character, maybe
            link = link or recognise(url=trimmed, settings=settings)
            if link is not None:
                found.setdefault((link.helpdesk, link.external_id), link)
    return list(found.values())
