"""Nested sampling helpers (a small part, written for this corpus)."""
