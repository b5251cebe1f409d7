"""The release facet: its pure planner (``plugin``), its observer and its actuators."""


def release_branch(name: str) -> str:
    """The branch of ``name``'s release pull request in pull-request mode (one per product, replaced as
    the release moves): its observer reads it, ``release.cut`` writes it."""
    return f"release/{name}"
