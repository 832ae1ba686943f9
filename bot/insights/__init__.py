"""Insights: the measurement plan's figures and repeat issue themes."""
