"""A small, strict fake of Slack's Web API served over loopback HTTP.

Use the real client against it: ``WebClient(token="xoxb-test", base_url=fake.url)``. Errors look
like Slack's: HTTP 200 ``{"ok": false, "error": ...}`` (validation failures add
``response_metadata.messages``), or HTTP 429 + ``Retry-After`` when scheduled by ``fail_next``
or when ``channel_rate`` limits ``chat.postMessage`` per channel (off by default).

The parts: ``state`` (what the fake remembers, and what every method handler shares),
``server`` (the HTTP request handler), ``views`` and ``messages`` (the Web API methods), and
``fake`` (``FakeSlack``: starting and stopping, the test helpers, and dispatching a call).
"""

from tests.fake_slack.fake import FakeSlack
from tests.fake_slack.server import _Handler
from tests.fake_slack.state import DROP, JSON, Call, SlackError

__all__ = ["DROP", "JSON", "Call", "FakeSlack", "SlackError", "_Handler"]
