"""Moved to :mod:`bot.privacy.redaction`; this shim goes once ``bot/cli.py`` imports from there."""

from bot.privacy.redaction import redact as redact
