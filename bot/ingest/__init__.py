"""Rated conversations in: imports, helpdesk syncs, the conversations table and deep links."""
