"""release.publish: the release facet's publishing actuator, by registry type (a file registry is
written directly; pypi, npm, crates and OCI registries go through their Ansible playbooks)."""

from __future__ import annotations

from codemonkeys.act.base import ActContext, ActionResult
from codemonkeys.vocab.enums import RegistryType
from codemonkeys.vocab.plan import Action


def publish(action: Action, ctx: ActContext) -> ActionResult:
    """Publish the tagged version to the action's registry; what a failure leaves is the publisher's
    (see ``facets/release/publish_file.py`` and ``facets/release/publish_ansible.py``)."""
    registry = ctx.desired.fleet.spec.registries[action.params["registry"]]
    if registry.type is RegistryType.FILE:
        from codemonkeys.facets.release.publish_file import publish_file

        return publish_file(action, ctx)
    from codemonkeys.facets.release.publish_ansible import publish_with_ansible

    return publish_with_ansible(action, ctx)
