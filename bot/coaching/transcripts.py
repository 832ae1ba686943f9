"""Reading a conversation's transcript again at capture time: from its import file or its helpdesk."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.settings import Settings
from bot.ingest.helpdesks import HelpdeskError, helpdesk_for
from bot.ingest.helpdesks.http_client import RetryPolicy
from bot.ingest.importer import read_record_at
from bot.privacy.redaction import redact
from models import Conversation, ImportRun

log = logging.getLogger("bot.transcripts")


@dataclass(frozen=True)
class SourceText:
    """A transcript read for one use and then dropped, with the names to redact from it."""

    text: str | None
    customer_name: str | None = None
    customer_email: str | None = None
    missing: str | None = None


@dataclass(frozen=True)
class Redacted:
    """A transcript redacted for a model, with its customer's own name and email kept so that
    what the model writes can be redacted the same way."""

    text: str | None
    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    def clean(self, written: str) -> str:
        """Model-written text redacted again before it is kept (it might repeat a name)."""
        return redact(written, customer_names=self.names, customer_emails=self.emails)


def redacted(source: SourceText) -> Redacted:
    """The source's transcript with every pattern and the customer's own name and email
    redacted; the raw text goes no further than this call."""
    names = tuple(n for n in [source.customer_name] if n)
    emails = tuple(e for e in [source.customer_email] if e)
    text = (
        redact(source.text, customer_names=names, customer_emails=emails) if source.text else None
    )
    return Redacted(text, names, emails)


def _from_import(session: Session, conversation: Conversation) -> SourceText | None:
    if conversation.import_id is None or conversation.source_offset is None:
        return None
    run = session.get(ImportRun, conversation.import_id)
    if run is None:
        return None
    fields = read_record_at(Path(run.path), conversation.source_offset)
    if fields is None:
        return SourceText(None, missing=f"the import file {run.path} can't be read any more")
    same = (
        str(fields.get("helpdesk", "")).strip().lower() == conversation.helpdesk
        and str(fields.get("external_id", "")).strip() == conversation.external_id
    )
    if not same:
        return SourceText(
            None, missing=f"the import file {run.path} has changed since it was imported"
        )
    return from_fields(fields, missing="the import had no transcript for it")


CustomerLookup = Callable[[str, str], SourceText | None]  # (helpdesk, external id) -> customer
# asking a helpdesk while someone waits in Slack (3 s in all): once, briefly
WHILE_WAITING = RetryPolicy(max_retries=0, max_rate_limit_waits=0, timeout=1.0)


def customer_of(
    session: Session, helpdesk: str, external_id: str, *, ask: CustomerLookup | None = None
) -> SourceText:
    """The customer's name and email of a conversation (never kept): read again from the import
    it came in, else asked of its helpdesk with `ask` (HelpdeskError when that fails); empty
    when neither knows."""
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.helpdesk == helpdesk, Conversation.external_id == external_id
        )
    )
    found = _from_import(session, conversation) if conversation is not None else None
    if found is not None and (found.customer_name or found.customer_email):
        return found
    asked = ask(helpdesk, external_id) if ask is not None else None
    return asked or found or SourceText(None)


def ask_helpdesk(
    settings: Settings, helpdesk: str, external_id: str, *, policy: RetryPolicy | None = None
) -> SourceText | None:
    """A conversation's customer read from its helpdesk (None when no connector is set up for
    it); HelpdeskError when the helpdesk can't tell. The transcript goes no further."""
    found = fetch_transcript(settings, helpdesk, external_id, policy=policy)
    return None if found is None else SourceText(None, found.customer_name, found.customer_email)


def from_fields(fields: dict[str, object], *, missing: str) -> SourceText:
    """The transcript and customer of an import record; `missing` says why when it has none."""
    text = str(fields.get("transcript") or "").strip() or None
    return SourceText(
        text,
        customer_name=str(fields.get("customer_name") or "").strip() or None,
        customer_email=str(fields.get("customer_email") or "").strip() or None,
        missing=None if text else missing,
    )


def fetch_transcript(
    settings: Settings, helpdesk: str, external_id: str, *, policy: RetryPolicy | None = None
) -> SourceText | None:
    """The conversation read from its helpdesk; None when no connector for it is configured.
    Raises HelpdeskError (HelpdeskNotFound when the helpdesk has no such conversation)."""
    connector = helpdesk_for(settings, helpdesk, policy=policy)
    if connector is None:
        return None
    try:
        found = connector.transcript(external_id)
    finally:
        connector.close()
    return SourceText(found.text, found.customer_name, found.customer_email)


def transcript_for(
    *, session: Session, settings: Settings, conversation: Conversation
) -> SourceText:
    """The transcript from the import that brought the conversation, else from its helpdesk."""
    found = _from_import(session, conversation)
    if found is not None and found.text is not None:
        return found
    try:
        fetched = fetch_transcript(settings, conversation.helpdesk, conversation.external_id)
    except HelpdeskError as exc:
        log.warning(
            "transcript of %s #%s: %s", conversation.helpdesk, conversation.external_id, exc
        )
        return SourceText(None, missing=str(exc))
    if fetched is None:
        return found or SourceText(
            None, missing=f"no {conversation.helpdesk} connector is configured"
        )
    return fetched
