"""The kinds of measurement event the QA line writes (in `measurement_events`) and metrics read."""

from __future__ import annotations

REVIEWED = "ticket_reviewed"  # every sampled conversation a run looked at (drafted or skipped)
CREATED = "draft_created"
POINTS_DROPPED = "points_dropped"  # points without verbatim evidence, left out of a draft
THEME = "theme"  # one per queue, tag and point root cause of a draft
DOC_GAP = "documentation_gap"  # suggested at drafting, confirmed (or not) by the lead
POLICY = "policy_escalation"
APPROVED = "draft_approved"
EDITED = "draft_edited"
REJECTED = "draft_rejected"
