"""acme_web: a tiny web service that serves its version and a health endpoint."""

REQUIRED_SETTINGS: tuple[str, ...] = ()  # settings /healthz insists on
