"""The composition root: where the web app, the Slack app and the jobs are wired together."""
