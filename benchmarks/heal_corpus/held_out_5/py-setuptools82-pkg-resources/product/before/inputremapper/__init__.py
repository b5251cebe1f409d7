"""input-remapper (a small part, written for this corpus)."""
