"""People: agents, members (roles and links), and REST API tokens."""
