"""The team: the App Home, the weekly digest, and CSAT recovery after coaching."""
