"""The controller service (a front end, like the CLI): triggers (watchfiles, timers, approvals, webhooks),
the work queue, the HTTP API and metrics, and its lifecycle (``runtime``). It calls the library API
(``codemonkeys.api``) for every reconcile and every answer it serves."""
