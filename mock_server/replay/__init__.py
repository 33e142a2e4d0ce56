"""Cassettes: recording from an upstream, the file format, replay and import."""
