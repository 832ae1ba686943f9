"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.core.db import get_engine
from bot.core.migrate import upgrade
from models import Base


def test_migrated_schema_matches_the_models(db_url):
    upgrade(db_url)  # a second run is a no-op
    with get_engine(db_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
