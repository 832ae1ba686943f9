"""Debrief's bundled demo data and the script that builds it (see data/README.md)."""
