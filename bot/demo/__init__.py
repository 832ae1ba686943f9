"""The demo: the whole flow on SQLite with the bundled data, and the terminal renderer it prints with."""
