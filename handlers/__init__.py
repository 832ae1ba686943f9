"""Inbound adapters: Bolt listeners (and later REST routes). They parse, ack, call bot/, render."""
