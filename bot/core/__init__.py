"""Core: the database, settings, errors, the audit trail, who sees what, and text rules."""
