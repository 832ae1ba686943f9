"""`debrief import FILE`: load resolved, rated conversations from a CSV or JSONL file."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from bot.cli.common import MAX_REPORTED, one_line_errors, services


@click.command("import", help="Load resolved, rated conversations from a CSV or JSONL file.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@one_line_errors
def import_command(file: Path) -> None:
    from bot.ingest.importer import import_file

    built = services()
    size = file.stat().st_size if file.is_file() else 0
    with _progress(size, f"importing {file.name}") as advance:
        report = import_file(session_factory=built.sessions, path=file, progress=advance)
    for line, reason in report.bad[:MAX_REPORTED]:
        click.echo(f"line {line}: {reason}", err=True)
    if len(report.bad) > MAX_REPORTED:
        click.echo(f"... and {len(report.bad) - MAX_REPORTED} more bad rows", err=True)
    click.echo(f"loaded {report.loaded} conversations, skipped {len(report.bad)} bad rows")


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (nothing when output is piped); yields 'done so far'."""
    if not sys.stderr.isatty() or total <= 0:
        yield lambda _done: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)
