"""What the test Jenkins reads from an item's config.xml.

Item kinds (by root element):

- `com.cloudbees.hudson.plugins.folder.Folder`: a folder (holds other items);
- `project`: a freestyle job; its `<builders>` may only hold `hudson.tasks.Shell` steps, and an
  optional `<scm class="hudson.plugins.git.GitSCM">` is checked out first;
- `flow-definition`: a Pipeline job whose `<definition>` is `CpsFlowDefinition` (inline `<script>`) or
  `CpsScmFlowDefinition` (a `GitSCM` and a `<scriptPath>`, default `Jenkinsfile`).

Also read: `<disabled>`, `<description>`, the `hudson.model.ParametersDefinitionProperty` parameters
(String, Text, Boolean, Choice, Password; other kinds are treated as strings) and the Notification
plugin's `com.tikal.hudson.plugins.notification.HudsonNotificationProperty` endpoints. The XML itself is
stored and served back verbatim.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

FOLDER = "com.cloudbees.hudson.plugins.folder.Folder"
KINDS = {  # root element -> (kind, the JSON _class)
    FOLDER: ("folder", FOLDER),
    "project": ("freestyle", "hudson.model.FreeStyleProject"),
    "flow-definition": ("pipeline", "org.jenkinsci.plugins.workflow.job.WorkflowJob"),
}
GIT_SCM = "hudson.plugins.git.GitSCM"
CPS_SCM = "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition"
CPS_INLINE = "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"
SHELL = "hudson.tasks.Shell"
PARAMS_PROPERTY = "hudson.model.ParametersDefinitionProperty"
NOTIFY_PROPERTY = "com.tikal.hudson.plugins.notification.HudsonNotificationProperty"


class ConfigError(ValueError):
    """The config.xml cannot be used (malformed or an unsupported item type)."""


@dataclass
class ParamDef:
    name: str
    xml_class: str  # e.g. hudson.model.StringParameterDefinition
    default: str | bool
    description: str = ""
    choices: list[str] = field(default_factory=list)

    @property
    def is_boolean(self) -> bool:
        return self.xml_class.endswith("BooleanParameterDefinition")

    @property
    def value_class(self) -> str:
        return self.xml_class.replace("Definition", "Value")

    def value(self, raw: str | None) -> str | bool:
        """The parameter value for a submitted string (None: the default)."""
        if raw is None:
            return self.default
        if self.is_boolean:
            return raw.strip().lower() == "true"
        if self.choices and raw not in self.choices:
            raise ValueError(f"Illegal choice for parameter {self.name}: {raw}")
        return raw

    def to_json(self) -> dict:
        out = {
            "_class": self.xml_class,
            "defaultParameterValue": {"_class": self.value_class, "name": self.name, "value": self.default},
            "description": self.description,
            "name": self.name,
            "type": self.xml_class.rsplit(".", 1)[-1],
        }
        if self.choices:
            out["choices"] = self.choices
        return out


@dataclass
class GitSpec:
    url: str
    branches: list[str]  # branch specifiers, e.g. ["*/main"]


@dataclass
class Endpoint:
    """A Notification plugin endpoint (JSON over HTTP)."""

    url: str
    event: str = "all"  # all, queued, started, completed, finalized, failed
    timeout: float = 30.0  # seconds

    def wants(self, phase: str, result: str | None) -> bool:
        if self.event == "all":
            return True
        if self.event == "failed":
            return phase == "COMPLETED" and result == "FAILURE"
        return self.event == phase.lower()


@dataclass
class JobSpec:
    kind: str  # folder, freestyle or pipeline
    xml_class: str
    description: str = ""
    disabled: bool = False
    params: list[ParamDef] = field(default_factory=list)
    notify: list[Endpoint] = field(default_factory=list)
    git: GitSpec | None = None  # freestyle <scm> or the Pipeline's SCM
    shell_steps: list[str] = field(default_factory=list)  # freestyle
    unsupported_steps: list[str] = field(default_factory=list)  # freestyle builders other than Shell
    definition: str = ""  # pipeline: the <definition> class
    script_path: str = "Jenkinsfile"  # pipeline from SCM
    script: str | None = None  # inline pipeline
    scm_class: str = ""  # the SCM class (pipeline from SCM or freestyle), to report unsupported ones

    @property
    def is_folder(self) -> bool:
        return self.kind == "folder"

    def param(self, name: str) -> ParamDef | None:
        return next((p for p in self.params if p.name == name), None)


def _text(el: ET.Element | None, path: str, default: str = "") -> str:
    found = el.find(path) if el is not None else None
    return (found.text or "").strip() if found is not None else default


def parse(xml: bytes) -> JobSpec:
    """Read a config.xml; raises ConfigError."""
    # Jenkins writes `<?xml version='1.1' ...?>`, which expat refuses: the content is the same.
    xml = re.sub(rb"^(\s*<\?xml[^>]*version=)(['\"])1\.1\2", rb"\g<1>\g<2>1.0\g<2>", xml, count=1)
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise ConfigError(f"config.xml is not well-formed XML: {e}") from None
    if root.tag not in KINDS:
        raise ConfigError(f"unsupported item type <{root.tag}> (supported: {', '.join(KINDS)})")
    kind, xml_class = KINDS[root.tag]
    spec = JobSpec(kind=kind, xml_class=xml_class, description=_text(root, "description"))
    spec.disabled = _text(root, "disabled") == "true"
    spec.params = _params(root)
    spec.notify = _endpoints(root)
    if kind == "freestyle":
        scm = root.find("scm")
        spec.scm_class = scm.get("class", "") if scm is not None else ""
        if spec.scm_class == GIT_SCM:
            spec.git = _git(scm)
        builders = root.find("builders")
        for step in list(builders) if builders is not None else []:
            if step.tag == SHELL:
                spec.shell_steps.append(step.findtext("command") or "")
            else:
                spec.unsupported_steps.append(step.tag)
    elif kind == "pipeline":
        definition = root.find("definition")
        spec.definition = definition.get("class", "") if definition is not None else ""
        if spec.definition == CPS_INLINE:
            spec.script = definition.findtext("script") or ""  # type: ignore[union-attr]
        elif spec.definition == CPS_SCM:
            scm = definition.find("scm")  # type: ignore[union-attr]
            spec.scm_class = scm.get("class", "") if scm is not None else ""
            if spec.scm_class == GIT_SCM:
                spec.git = _git(scm)
            spec.script_path = _text(definition, "scriptPath") or "Jenkinsfile"
    return spec


def _git(scm: ET.Element | None) -> GitSpec:
    url = _text(scm, "userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url")
    branches = [(b.text or "").strip() for b in scm.iterfind("branches/hudson.plugins.git.BranchSpec/name")]  # type: ignore[union-attr]
    return GitSpec(url=url, branches=[b for b in branches if b] or ["**"])


def _params(root: ET.Element) -> list[ParamDef]:
    out = []
    for prop in root.iter(PARAMS_PROPERTY):
        for el in prop.findall("parameterDefinitions/*"):
            name = _text(el, "name")
            if not name:
                continue
            choices: list[str] = []
            if (choices_el := el.find("choices")) is not None:
                # <choices class="java.util.Arrays$ArrayList"><a><string>x</string>... or one per line.
                choices = [s.text or "" for s in choices_el.iter("string")]
                choices = choices or [c.strip() for c in (choices_el.text or "").splitlines() if c.strip()]
            param = ParamDef(name=name, xml_class=el.tag, default="", description=_text(el, "description"))
            if param.is_boolean:
                param.default = _text(el, "defaultValue") == "true"
            elif choices:
                param.choices = choices
                param.default = choices[0]
            else:
                param.default = _text(el, "defaultValue")
            out.append(param)
    return out


def _endpoints(root: ET.Element) -> list[Endpoint]:
    out = []
    for prop in root.iter(NOTIFY_PROPERTY):
        for el in prop.findall("endpoints/*"):
            # Plugin 1.x: <url>; newer versions: <urlInfo><urlOrId>.
            url = _text(el, "url") or _text(el, "urlInfo/urlOrId")
            if not url or _text(el, "format", "JSON").upper() != "JSON":
                continue
            timeout = _text(el, "timeout")
            out.append(
                Endpoint(
                    url=url,
                    event=_text(el, "event", "all").lower() or "all",
                    timeout=int(timeout) / 1000 if timeout.isdigit() else 30.0,
                )
            )
    return out
