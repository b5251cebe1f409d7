"""JupyterHub database layer (a small part, written for this corpus)."""
