"""What the Zendesk test files share: a team of agents in two groups, and milliseconds."""

from __future__ import annotations

from tests.helpdesks.fake_zendesk import FakeZendesk

MS = 1000


def add_agents(fake: FakeZendesk) -> None:
    fake.add_user(11, "Ana Lima", "ana@acme.test")
    fake.add_user(12, "Ben Okafor", "ben@acme.test")
    fake.add_user(13, "Caro Diaz", "caro@acme.test")
    fake.groups = {501: "Billing", 502: "Tier 2"}
