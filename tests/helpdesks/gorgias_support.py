"""What the Gorgias test files (and the fixtures in conftest.py) share: a connector on the fake,
recording its waits, and the time the ratings start from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.ingest.helpdesks.gorgias import GorgiasHelpdesk
from tests.helpdesks import fake_gorgias
from tests.helpdesks.fake_gorgias import FakeGorgias

SINCE = datetime(2024, 5, 1, tzinfo=UTC)
H = timedelta(hours=1)


def connector(fake: FakeGorgias, sleeps: list[float], **kwargs: Any) -> GorgiasHelpdesk:
    return GorgiasHelpdesk(
        base_url=fake.base_url,
        email=kwargs.pop("email", fake_gorgias.EMAIL),
        api_key=kwargs.pop("api_key", fake_gorgias.API_KEY),
        sleep=sleeps.append,
        **kwargs,
    )
