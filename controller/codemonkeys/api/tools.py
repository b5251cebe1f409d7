"""What the front ends use of the library beyond ``FleetSession``, in one place (the CLI and the service
import the library only through ``codemonkeys.api``: an import-linter contract keeps it so). Imported
where it is needed, not by ``codemonkeys.api`` itself, so a command that needs none of it does not pay
for it: the sandbox's state, the controller's presence record, the job queue's readiness, the policy test
runner, the JSON Schemas, cross-repo change steps, a followed fleet clone, a release's changelog section,
Jenkins job names and the facet registry."""

from __future__ import annotations

from codemonkeys.ci.jenkins import job_name
from codemonkeys.engine.changes import Exec, Patch, Replace
from codemonkeys.facets import FACETS
from codemonkeys.facets.release.actuators import render_changelog_section
from codemonkeys.kinds.schema import export_schemas
from codemonkeys.policy.gate import params_json
from codemonkeys.policy.testing import discover, run_file
from codemonkeys.presence import clear_presence, write_presence
from codemonkeys.repos import FollowedClone
from codemonkeys.sandbox import status as sandbox_status
from codemonkeys.store.jobqueue import job_queue_ready

__all__ = [
    "FACETS",
    "Exec",
    "FollowedClone",
    "Patch",
    "Replace",
    "clear_presence",
    "discover",
    "export_schemas",
    "job_name",
    "job_queue_ready",
    "params_json",
    "render_changelog_section",
    "run_file",
    "sandbox_status",
    "write_presence",
]
