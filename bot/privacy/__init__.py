"""Personal data in free text found and replaced by labels; the entry points are in :mod:`bot.privacy.redaction`."""
