"""Debrief: point-of-need coaching for support agents, inside Slack."""
