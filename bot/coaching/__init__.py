"""Coaching: the record a lead sees, notes, pins, samples and the transcripts they are written from."""
