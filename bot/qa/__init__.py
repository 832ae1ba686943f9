"""QA drafts: approved rubrics, weekly samples, evidence-checked drafts, routing to the lead."""
