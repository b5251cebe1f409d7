"""The controller service: triggers (webhooks, timers, watches) that reconcile the fleet without a command.

So far: the webhook handlers (pure), which the HTTP API of the long-running controller will serve.
"""
