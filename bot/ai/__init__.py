"""Model-backed work (summaries, QA drafts): Claude when configured, an honest offline engine otherwise."""
