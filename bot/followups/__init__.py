"""Follow-ups: when a follow-up falls due, and the reminder DM sent once for it."""
