"""What the `debrief` commands share: settings, their services, errors as one line."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.core.db import DatabaseUnavailable, is_unreachable
from bot.core.errors import DebriefError
from bot.core.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.app.services import Services

F = TypeVar("F", bound=Callable[..., Any])

MAX_REPORTED = 50  # bad input rows printed one a line; the rest are counted


def fail(message: str, code: int = 2) -> None:
    """Print one line to stderr and exit non-zero."""
    click.echo(f"debrief: {message}", err=True)
    sys.exit(code)


def one_line_errors(func: F) -> F:
    """Turn settings, input and database errors into one line and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            fail(f"setting {exc}")
        except DebriefError as exc:
            fail(str(exc))
        except DatabaseUnavailable as exc:
            fail(f"can't reach the database ({exc}); nothing was changed", 1)
        except Exception as exc:
            if is_unreachable(exc):
                fail(
                    f"can't reach the database ({str(exc).splitlines()[0]}); nothing was changed", 1
                )
            raise

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    """The settings, read now (a bad one is one clear line)."""
    return load_settings()


def require_schema(url: str) -> None:
    """Stop with a clear line unless `debrief db upgrade` has run on this database."""
    from bot.core.migrate import is_current

    if not is_current(url):
        raise SettingsError("DATABASE_URL: the schema is missing or old; run `debrief db upgrade`")


def services(config: Settings | None = None, *, slack: bool = False) -> Services:
    """What this command uses (sessions, engines, Slack), built once from the composition root,
    after checking Slack's settings (`slack`) and that `debrief db upgrade` has run."""
    from bot.app.services import Services

    config = config or settings()
    if slack:
        config.require_slack()
    require_schema(config.database_url)
    return Services(config)
