"""The scheduler and its jobs: thin wrappers around domain functions."""
