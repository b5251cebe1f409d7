"""The shared vocabulary, below everything: fact types, the plan document and its closed enums (action
kinds, verdicts, facet states), policy values, product enums, versioning (conventional commits, semver,
tags, version files), time windows and diagnostics.

Leaf modules: they import nothing of the project above them (checked by ``lint-imports``), so every
layer can speak them, as Terraform's ``internal/plans/action.go`` does for Terraform.
"""
