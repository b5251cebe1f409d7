"""Request schemas of a small sign-up API."""
