"""Flags: the CSAT trend, its windows, raising a flag on a scan, its chart and its DM."""
