"""Type4Py: type inference for Python (a small part, written for this corpus)."""
