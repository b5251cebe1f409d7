"""Fleet-repo kinds: the desired state a maintainer writes (first stage of load -> observe -> plan).

Every document has the envelope ``apiVersion: codemonkeys.dev/v1``, ``kind``, ``metadata``, ``spec``.
Field names are camelCase in YAML (``dependsOn``) and snake_case in Python (``depends_on``). Unknown
fields are errors everywhere. These models are the single source of the JSON Schemas in ``schemas/``.
"""

from __future__ import annotations

import importlib
import re
import shlex
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from codemonkeys.vocab.enums import BuildNetwork, CIKind, Language, RegistryType, UpdatePolicy, Versioning
from codemonkeys.vocab.timewindows import parse_hhmm, parse_point, zone

API_VERSION = "codemonkeys.dev/v1"

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
Name = Annotated[str, Field(pattern=DNS_LABEL, description="DNS-label style: lowercase letters, digits, '-'")]

_DURATION = re.compile(r"^\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*$")


def parse_duration(value: Any) -> int:
    """Seconds from an int or a duration string such as ``90``, ``30s``, ``10m``, ``1h30m``, ``7d``."""
    if isinstance(value, bool):
        raise ValueError("expected seconds or a duration such as 10m")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.strip().isdigit():
            return int(value)
        m = _DURATION.match(value)
        if m and any(m.groups()):
            d, h, mi, s = (int(g or 0) for g in m.groups())
            return d * 86400 + h * 3600 + mi * 60 + s
    raise ValueError(f"expected seconds or a duration such as 10m, got {value!r}")


Duration = Annotated[
    int,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^\s*(\d+d)?\s*(\d+h)?\s*(\d+m)?\s*(\d+s)?\s*$"},
            ],
            "description": "Seconds, or a duration such as 90s, 10m, 1h30m, 7d",
        }
    ),
]

Command = Annotated[
    list[str],
    BeforeValidator(lambda v: shlex.split(v) if isinstance(v, str) else v),
    WithJsonSchema(
        {
            "anyOf": [{"type": "array", "items": {"type": "string"}, "minItems": 1}, {"type": "string"}],
            "description": "Argument list (a string is split shell-style; no shell runs it)",
        }
    ),
]


def inside(path: str, root: str) -> str:
    """``path`` if it is relative and stays inside ``root`` (``a/../b`` does; ``../b``, ``/b``, ``C:/b``,
    ``~/b`` do not), else ``ValueError`` saying how it leaves."""
    text = path.replace("\\", "/")
    if not text.strip():
        raise ValueError(f"an empty path: name a path inside {root}")
    if "\0" in text:
        raise ValueError(f"{path!r} holds a NUL byte: name a path inside {root}")
    if text.startswith("~"):
        raise ValueError(f"{path!r} is a home path: write a path relative to {root}")
    if text.startswith("/") or re.match(r"[A-Za-z]:", text):
        raise ValueError(f"{path!r} is absolute: write a path relative to {root}")
    depth = 0
    for part in text.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                raise ValueError(f"{path!r} climbs out of {root} ('..'): name a path inside it")
        elif part not in ("", "."):
            depth += 1
    return path


def _in_repo(path: str) -> str:
    return inside(path, "the product's directory")


def _in_fleet(path: str) -> str:
    return inside(path, "the fleet repository")


def _playbook(path: str) -> str:
    """A fleet-repo path, or ``repo:PATH`` inside the product's directory."""
    if path.startswith("repo:"):
        _in_repo(path.removeprefix("repo:"))
        return path
    return _in_fleet(path)


# A path inside the product's directory (its repository, or its source.path in a monorepo) or inside the
# fleet repository: relative, never climbing out; the loader reports an escape at the field's value.
RepoPath = Annotated[str, AfterValidator(_in_repo)]
FleetPath = Annotated[str, AfterValidator(_in_fleet)]


class Model(BaseModel):
    """Base: camelCase aliases, unknown fields forbidden, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, use_enum_values=False
    )


SECRET_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class SecretRef(Model):
    """A secret named, never written: resolved at run time from ``CMCTL_SECRET_<NAME>``, then
    ``<fleet>/secrets/NAME.age`` (age, the identity file ``CMCTL_AGE_IDENTITY``), then the file NAME in
    ``CMCTL_SECRETS_DIR``. Its value reaches only the actuator that needs it and is redacted everywhere."""

    secret_ref: str = Field(pattern=SECRET_NAME, description="The secret's name")


def secret_ref_uses(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every ``{secretRef: NAME}`` inside a model (fields, lists, dicts, at any depth) as (NAME, where),
    ``where`` a dotted path of the fields as the YAML spells them
    (``spec.registries.pypi.credentials.password``)."""
    if isinstance(value, SecretRef):
        return [(value.secret_ref, path)]
    here = f"{path}." if path else ""
    if isinstance(value, BaseModel):
        items = [(to_camel(f), getattr(value, f)) for f in type(value).model_fields]
    elif isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list | tuple):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return []
    return [use for key, v in items for use in secret_ref_uses(v, here + key)]


def secret_refs(value: Any) -> set[str]:
    """The names of every ``{secretRef: NAME}`` inside a model (see ``secret_ref_uses``)."""
    return {name for name, _ in secret_ref_uses(value)}


# --- closed enums -----------------------------------------------------------------------------


class PolicyDefault(StrEnum):
    """The verdict for an action no mandatory rule applies to: allow it, or deny it (fail closed)."""

    ALLOW = "allow"
    DENY = "deny"


class LimitScope(StrEnum):
    """What one budget counts: per product, per company, or the whole fleet."""

    PRODUCT = "product"
    COMPANY = "company"
    FLEET = "fleet"


class Enforcement(StrEnum):
    """Mandatory rules decide verdicts; advisory rules never decide and are only reported when they object."""

    ADVISORY = "advisory"
    MANDATORY = "mandatory"


# --- envelope ---------------------------------------------------------------------------------


class Metadata(Model):
    """Identity of a document: its name, its company (Products), labels that rules match, free annotations."""

    name: Name
    company: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


# --- Fleet ------------------------------------------------------------------------------------


class Company(Model):
    """A company that owns products (their metadata.company); Jenkins keeps their jobs in its folder."""

    name: Name
    display_name: str | None = None
    defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="Product spec fragments merged under the spec of this company's products "
        "(the product wins, then its company, then the fleet's spec.defaults)",
    )
    credentials: CompanyCredentials | None = Field(
        None,
        description="This company's own credentials, used for its products instead of the fleet's "
        "(registries by name, Jenkins, Ollama)",
    )


class Credentials(Model):
    """Secrets by reference, never by value: ``{secretRef: NAME}`` (``username`` may also be written
    plainly), or the names of environment variables holding them (``*Env``); one way per part."""

    username_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    username: str | SecretRef | None = None
    password: SecretRef | None = None
    token: SecretRef | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Credentials:
        for part in ("username", "password", "token"):
            if getattr(self, part) is not None and getattr(self, f"{part}_env") is not None:
                raise ValueError(f"credentials: give {part} or {part}Env, not both")
        return self

    def parts(self) -> dict[str, tuple[str | None, str | SecretRef | None]]:
        """part -> (environment variable name, value or secretRef) for username, password, token."""
        return {p: (getattr(self, f"{p}_env"), getattr(self, p)) for p in ("username", "password", "token")}

    def env_names(self) -> list[str]:
        """The environment variable names set here (their values are redacted from every log)."""
        return [n for n in (self.username_env, self.password_env, self.token_env) if n]


class CompanyCredentials(Model):
    """A company's own credentials by reference: for its products they replace the fleet's (registry
    credentials by registry name; Jenkins: username and token; Ollama: token; Git hosting: username and
    token or password)."""

    registries: dict[Name, Credentials] = Field(
        default_factory=dict, description="Registry name (in spec.registries) -> credentials"
    )
    jenkins: Credentials | None = Field(None, description="Jenkins user (username) and API token (token)")
    ollama: Credentials | None = Field(None, description="The bearer token (token) for the Ollama server")
    git: Credentials | None = Field(
        None,
        description="HTTPS Git hosting of its product repositories: username and token (or password)",
    )

    def env_names(self) -> list[str]:
        """Every environment variable named here (redacted from every log)."""
        every = [*self.registries.values(), self.jenkins, self.ollama, self.git]
        return [n for c in every if c is not None for n in c.env_names()]


class Registry(Model):
    """A package registry that products publish to: its type and where it is (url, or path for `file`)."""

    type: RegistryType
    url: str | None = None
    path: str | None = Field(None, description="Directory of a `file` registry; relative to the fleet root")
    credentials: Credentials | None = None

    @model_validator(mode="after")
    def _where(self) -> Registry:
        if self.type is RegistryType.FILE and not self.path:
            raise ValueError("a `file` registry needs `path`")
        if self.type is not RegistryType.FILE and not self.url:
            raise ValueError(f"a `{self.type}` registry needs `url`")
        return self


class JenkinsConfig(Model):
    """The Jenkins server: its URL, the environment variables holding user and API token, TLS checking."""

    url: str
    user_env: str | None = None
    token_env: str | None = None
    user: str | SecretRef | None = Field(
        None, description="The user name, or {secretRef: NAME} (not with userEnv)"
    )
    token: SecretRef | None = Field(None, description="The API token: {secretRef: NAME} (not with tokenEnv)")
    verify_tls: bool = True

    @model_validator(mode="after")
    def _one_way(self) -> JenkinsConfig:
        for part, env in (("user", self.user_env), ("token", self.token_env)):
            if getattr(self, part) is not None and env is not None:
                raise ValueError(f"jenkins: give {part} or {part}Env, not both")
        return self


class CIConfig(Model):
    """Where builds run: the products' default CI backend, and the Jenkins server if any product uses it."""

    default: CIKind = CIKind.LOCAL
    jenkins: JenkinsConfig | None = None


class OllamaConfig(Model):
    """A local LLM served through the Ollama API (heal's ``llm`` strategy)."""

    host: str | None = Field(
        None, description="Ollama URL; default: $OLLAMA_HOST, else http://127.0.0.1:11434"
    )
    model: str = Field(description="The model to ask, e.g. qwen2.5-coder:7b")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Model options (temperature, num_predict, num_ctx, seed, ...), over the defaults "
        "temperature 0 and num_predict 1024",
    )
    timeout: Duration = 300
    token: SecretRef | None = Field(
        None, description="A bearer token for an Ollama behind an authenticating proxy: {secretRef: NAME}"
    )
    retry_after: Duration = Field(
        30,
        description="After the server could not be used (down, timed out, 5xx, its model missing), the "
        "first wait before any product asks it again; it doubles with every failure in a row. Such a "
        "failure is not a heal attempt",
    )
    retry_max: Duration = Field(900, description="The longest wait between two tries of a server that is out")


class LLMConfig(Model):
    """Language models the controller may ask (today: one Ollama server)."""

    ollama: OllamaConfig | None = None


class StateConfig(Model):
    """Where the controller keeps its state: runs, the action journal, statuses, approvals, audit log."""

    url: str | None = Field(
        None,
        description="SQLAlchemy URL (postgresql+psycopg://HOST:PORT/DB); default: SQLite in <fleet>/.cmctl/",
    )
    credentials: Credentials | None = Field(
        None, description="Environment variables holding the database user and password (not in the URL)"
    )


class WebhookFlavor(StrEnum):
    """The JSON shape of a webhook announcement: Slack, Discord, Microsoft Teams, or plain JSON."""

    SLACK = "slack"
    DISCORD = "discord"
    TEAMS = "teams"
    JSON = "json"


class WebhookChannel(Model):
    """An HTTP POST of a JSON body in a flavour's shape (or a Jinja2 template), signed with a secret
    (``X-CodeMonkeys-Signature-256: sha256=<hex>``): ``key: {secretRef: NAME}`` or ``keyEnv: VARIABLE``."""

    type: Literal["webhook"]
    url: str
    flavor: WebhookFlavor = WebhookFlavor.JSON
    template: FleetPath | None = Field(
        None, description="A Jinja2 template (fleet-repo path) rendering the JSON body; overrides flavor"
    )
    key: SecretRef | None = Field(None, description="The HMAC key: {secretRef: NAME} (not with keyEnv)")
    key_env: str | None = Field(None, description="Environment variable holding the HMAC key (not with key)")
    # the old spelling: a bare name here was an environment variable, unlike {secretRef: NAME} everywhere
    # else; refused with how to write it now (and kept out of the JSON Schema)
    secret_ref: SkipJsonSchema[Any] = Field(None, exclude=True)
    timeout: Duration = 30

    @field_validator("secret_ref")
    @classmethod
    def _old_secret_ref(cls, value: Any) -> None:
        if value is not None:
            inner = value.get("secretRef") if isinstance(value, dict) else value
            name = inner if isinstance(inner, str) else "NAME"
            env = "CMCTL_SECRET_" + re.sub(r"[^A-Z0-9]", "_", name.upper())
            raise ValueError(
                "a webhook's secretRef is no longer an environment variable: write the HMAC key as "
                f"`key: {{secretRef: {name}}}` (a secret: {env}, secrets/{name}.age or CMCTL_SECRETS_DIR) or "
                f"`keyEnv: {name}` (the environment variable {name}, as before)"
            )
        return None

    @model_validator(mode="after")
    def _one_way(self) -> WebhookChannel:
        if self.key is not None and self.key_env is not None:
            raise ValueError("webhook: give key or keyEnv, not both")
        return self


class EmailChannel(Model):
    """An email (plain text and HTML) over SMTP, STARTTLS and login with credentials from the environment."""

    type: Literal["email"]
    host: str
    port: int = 587
    starttls: bool = True
    sender: str = Field(alias="from", description="The From address")
    to: list[str] = Field(min_length=1)
    username_env: str | None = None
    password_env: str | None = None
    username: str | SecretRef | None = Field(None, description="The SMTP login, or {secretRef: NAME}")
    password: SecretRef | None = Field(None, description="The SMTP password: {secretRef: NAME}")
    timeout: Duration = 30

    @model_validator(mode="after")
    def _one_way(self) -> EmailChannel:
        for part, env in (("username", self.username_env), ("password", self.password_env)):
            if getattr(self, part) is not None and env is not None:
                raise ValueError(f"email: give {part} or {part}Env, not both")
        return self


class BrowserChannel(Model):
    """A site without an API: a Playwright macro (YAML ``{steps, verify?}``) run in headless Chromium."""

    type: Literal["browser"]
    macro: FleetPath = Field(description="The macro file, relative to the fleet root")
    secrets: list[str | SecretRef] = Field(
        default_factory=list,
        description="Secrets the macro may use as {{ secrets.NAME }}: environment variables, or "
        "{secretRef: NAME} (then NAME is the secret's name)",
    )
    timeout: Duration = 120

    def env_names(self) -> list[str]:
        """The environment variables holding this channel's secrets."""
        return [n for n in self.secrets if isinstance(n, str)]


Channel = Annotated[WebhookChannel | EmailChannel | BrowserChannel, Field(discriminator="type")]


class NotifyEvent(StrEnum):
    """What a notification subscription can be sent about."""

    ACTION_FAILED = "action.failed"
    ACTION_HELD = "action.held"
    RELEASE_PUBLISHED = "release.published"
    DEPLOY_SUCCEEDED = "deploy.succeeded"
    HEAL_PROPOSED = "heal.proposed"
    DRIFT_DETECTED = "drift.detected"
    CHANGE_MERGED = "change.merged"  # a cross-repo change landed on a product's branch
    CHANGE_FAILED = "change.failed"  # a change's build was red, it conflicts, or it could not be committed
    STUCK = "stuck"  # nothing the controller may do converges a product: a person must act (once per cause)


class Subscription(Model):
    """A notification subscription: events, the channels they go to, and which products (all if unset)."""

    on: list[NotifyEvent] = Field(min_length=1)
    channels: list[Name] = Field(min_length=1)
    products: list[Name] = Field(default_factory=list)
    companies: list[Name] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


class AnnounceConfig(Model):
    """Announcement channels, defined once for the fleet, and the fleet's notification subscriptions."""

    channels: dict[Name, Channel] = Field(default_factory=dict)
    notifications: list[Subscription] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_channels(self) -> AnnounceConfig:
        for i, sub in enumerate(self.notifications):
            unknown = [c for c in sub.channels if c not in self.channels]
            if unknown:
                raise ValueError(f"notifications[{i}]: unknown channel {unknown[0]!r}")
        return self

    def env_names(self) -> list[str]:
        """Every environment variable holding a channel secret (redacted from every log)."""
        names: list[str] = []
        for ch in self.channels.values():
            if isinstance(ch, WebhookChannel) and ch.key_env:
                names.append(ch.key_env)
            elif isinstance(ch, EmailChannel):
                names += [n for n in (ch.username_env, ch.password_env) if n]
            elif isinstance(ch, BrowserChannel):
                names += ch.env_names()
        return names


class ForgeType(StrEnum):
    """The forges Code Monkeys speaks to: GitHub (REST v3), GitLab (REST v4), Gitea / Forgejo (REST v1)."""

    GITHUB = "github"
    GITLAB = "gitlab"
    GITEA = "gitea"


class GitMode(StrEnum):
    """How Code Monkeys' changes reach a product's branch: pushed, or through a pull request."""

    PUSH = "push"
    PULL_REQUEST = "pull-request"


class Forge(Model):
    """The forge hosting product repositories: where build results go as commit statuses, and where pull
    requests are opened and merged in ``pull-request`` mode."""

    type: ForgeType
    url: str = Field(
        description="The API's base: https://api.github.com, https://gitlab.example.com (GitLab: without "
        "/api/v4), https://gitea.example.com/api/v1",
        pattern=r"^https?://",
    )
    repo: str | None = Field(
        None,
        description="The repository on the forge, owner/name (GitLab: the project's path); default: the "
        "last two parts of the product's source URL",
    )
    credentials: Credentials | None = Field(
        None,
        description="The API token (token), by secretRef or tokenEnv; default: the token of the product's "
        "Git credentials (its company's, else the fleet's)",
    )
    statuses: bool = Field(True, description="Post each build.run's result as a commit status")
    fleet_repo: str | None = Field(
        None,
        description="The fleet repository on this forge, owner/name: its pull requests get the plan in a "
        "comment; default: from the URL the controller follows the fleet from",
    )
    dashboard_url: str | None = Field(
        None,
        description="The dashboard's address: a status links to the action's page there",
        pattern=r"^https?://",
    )
    labels: list[str] = Field(
        default_factory=lambda: ["codemonkeys"], description="Labels of the pull requests Code Monkeys opens"
    )
    merge_method: Literal["merge", "squash", "rebase"] = Field(
        "merge", description="How the forge merges a pull request Code Monkeys opened"
    )
    reviewers: dict[str, str] = Field(
        default_factory=dict,
        description="Forge login -> the name the constitution's approvers use: an approving review of a "
        "pull request's head by a login listed here counts as that person's approval (a login not listed "
        "approves nothing; on GitHub only the repository's owners, members and collaborators count, on "
        "Gitea only official reviews)",
    )


class GitConfig(Model):
    """How product repositories are reached: the login for HTTPS Git hosting (a company's own
    ``credentials.git`` replaces it for its products; repositories by path or SSH need none), and the
    forge that hosts them."""

    credentials: Credentials | None = Field(
        None, description="Username and token (or password) for HTTPS repositories, by secretRef or *Env"
    )
    forge: Forge | None = Field(
        None, description="The forge of every product (a product, or its company's defaults, may set another)"
    )
    mode: GitMode = Field(
        GitMode.PUSH,
        description="push: heals and changes land by a push to the product's branch; pull-request: as a "
        "pull request on the forge, merged through its API when the constitution and the forge allow it",
    )


class ProductGit(Model):
    """A product's own forge (it replaces the fleet's ``spec.git.forge``; a company sets one for its
    products through its ``defaults``)."""

    forge: Forge | None = None
    mode: GitMode | None = Field(None, description="push | pull-request; default: the fleet's spec.git.mode")


class FleetSpec(Model):
    """The fleet's companies, named registries, CI, state store, and defaults merged into every product."""

    companies: list[Company] = Field(default_factory=list)
    registries: dict[Name, Registry] = Field(default_factory=dict)
    ci: CIConfig = Field(default_factory=CIConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    announce: AnnounceConfig = Field(default_factory=AnnounceConfig)
    git: GitConfig = Field(default_factory=GitConfig)
    defaults: dict[str, Any] = Field(
        default_factory=dict, description="Product spec fragments merged under every Product's spec"
    )


class Fleet(Model):
    """The Fleet document (fleet.yaml): companies, registries, CI and state shared by every product."""

    api_version: Literal["codemonkeys.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["Fleet"]
    metadata: Metadata
    spec: FleetSpec


# --- Product ----------------------------------------------------------------------------------


class Source(Model):
    """Where the product's code lives: a git repository, its branch, and a sub-directory of a monorepo."""

    repo: str = Field(description="Git URL or path; relative paths resolve against the fleet root")
    branch: str = "main"
    path: Annotated[str, AfterValidator(lambda p: inside(p, "the repository"))] | None = Field(
        None, description="Sub-directory of a monorepo that this product lives in"
    )


class HealStrategy(StrEnum):
    """Where a heal's patch comes from: a fix template the fleet learned, or a local LLM."""

    TEMPLATE = "template"
    LLM = "llm"


class Heal(Model):
    """Self-healing of a red build: candidates proven on a branch, merged when the constitution allows."""

    strategies: list[HealStrategy] = Field(
        default_factory=lambda: [HealStrategy.TEMPLATE], min_length=1, description="Tried in this order"
    )
    max_attempts: int = Field(3, ge=1, le=20, description="Attempts per red commit, then a person decides")
    merge: Literal["fast-forward", "merge-commit"] = Field(
        "fast-forward", description="How a green heal branch lands on the product's branch"
    )
    paths: list[str] = Field(
        default_factory=lambda: ["**"], description="Globs (repo-relative) a heal patch may touch"
    )
    max_lines: int = Field(200, ge=1, description="Largest patch (lines added + removed)")


class Build(Model):
    """The build facet: CI (local command or Jenkins job) must pass at the branch head ([skip ci] aside)."""

    want: Literal["green"] = "green"
    ci: CIKind | None = Field(None, description="Default: the Fleet's spec.ci.default")
    command: Command | None = Field(None, description="Local CI: the command to run in a clean checkout")
    job: str | None = Field(None, description="Jenkins job name")
    timeout: Duration = 1800
    confirm_red: int = Field(
        1,
        ge=0,
        le=3,
        description="Re-runs of a commit whose only failures are test failures before it counts as red "
        "(a pass on a re-run: flaky, counted green); 0: off",
    )
    heal: Heal | None = Field(None, description="Self-healing when the build of HEAD is red; off unless set")
    env: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str | SecretRef] | None = Field(
        None,
        description="Environment of the product's sandboxed processes besides PATH, LANG, LC_ALL, TZ, HOME "
        "and TMPDIR: a value, or {secretRef: NAME} for what a build truly needs (redacted in its output)",
    )
    network: BuildNetwork | None = Field(
        None,
        description="What the product's sandboxed processes may reach: none, registries (default: loopback "
        "and the fleet's registries; bubblewrap shares the host network for it), all",
    )


class HostsFrom(Model):
    """Hosts taken from the product's applied infra: a Terraform output holding a list of addresses, a
    list of ``{name, ...host vars}``, or a map name -> host vars."""

    terraform_output: str


def _branch(name: str) -> str:
    """A branch name git accepts (a conservative subset: letters, digits, ``._/-``, no ``..``)."""
    if (
        not re.fullmatch(r"[A-Za-z0-9._/-]+", name)
        or ".." in name
        or "//" in name
        or name.startswith(("/", "-", "."))
        or name.endswith(("/", ".", ".lock"))
    ):
        raise ValueError(f"{name!r} is not a branch name")
    return name


VERSION_DIR = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"  # a version folder or alias of a versioned site


class DocsBranchTarget(Model):
    """Publish the site to a branch of the product's repository (GitHub Pages' ``gh-pages``), committed and
    pushed with the product's git credentials. ``versions``: laid out as ``mike`` does (a folder per released
    version built from its tag, ``versions.json``, the alias as redirect pages, a redirect at the root to the
    alias) with the branch head's docs as the ``dev`` version; else the site is the branch's whole tree."""

    type: Literal["git-branch"]
    name: Name | None = Field(None, description="The target's name in plans and facts (default: the branch)")
    branch: Annotated[str, AfterValidator(_branch)] = "gh-pages"
    versions: bool = False
    alias: str = Field("latest", pattern=VERSION_DIR, description="Versioned: the newest release's alias")
    dev: str = Field("dev", pattern=VERSION_DIR, description="Versioned: the branch head's docs' version")
    url: str | None = Field(
        None, pattern=r"^https?://\S+$", description="Where readers find the site (links on the product page)"
    )

    @property
    def key(self) -> str:
        """The target's name in plans and facts."""
        return self.name or self.branch.replace("/", "-")

    @model_validator(mode="after")
    def _check(self) -> DocsBranchTarget:
        if self.versions and self.alias == self.dev:
            raise ValueError(f"alias and dev must differ (both {self.alias!r})")
        return self


class DocsSshTarget(Model):
    """Copy the site to web hosts over SSH with Ansible: unpacked into a new directory under ``path``, then
    ``path/current`` switched to it (readers never see half a site), through the deploy facet's inventory
    (an Ansible inventory file, or ``hostsFrom`` the product's applied Terraform outputs)."""

    type: Literal["ssh"]
    name: Name | None = Field(None, description="The target's name in plans and facts (default: ssh)")
    inventory: FleetPath | None = Field(
        None, description="Ansible inventory file, relative to the fleet root"
    )
    hosts_from: HostsFrom | None = None
    path: str = Field(
        pattern=r"^/[A-Za-z0-9._/-]*$", description="Absolute directory on the hosts; readers serve current/"
    )
    url: str | None = Field(
        None, pattern=r"^https?://\S+$", description="Where readers find the site (links on the product page)"
    )

    @property
    def key(self) -> str:
        """The target's name in plans and facts."""
        return self.name or "ssh"

    @model_validator(mode="after")
    def _check(self) -> DocsSshTarget:
        if (self.inventory is None) == (self.hosts_from is None):
            raise ValueError("an ssh docs target needs exactly one of `inventory` or `hostsFrom`")
        if ".." in self.path.split("/"):
            raise ValueError(f"path {self.path!r} may not contain '..'")
        return self


DocsTarget = Annotated[DocsBranchTarget | DocsSshTarget, Field(discriminator="type")]


class Docs(Model):
    """The docs facet: the MkDocs site must be built from the docs inputs at the branch head (the controller
    previews it), and be what readers see on every ``publish`` target."""

    want: Literal["current"] = "current"
    engine: Literal["mkdocs"] = "mkdocs"
    dir: RepoPath = "docs"
    config: RepoPath = "mkdocs.yml"
    publish: list[DocsTarget] = Field(
        default_factory=list,
        description="Where readers get the site: a branch of the repo, web hosts over SSH",
    )

    @model_validator(mode="after")
    def _check(self) -> Docs:
        keys = [t.key for t in self.publish]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"publish target {dup[0]!r} is declared twice (give one a `name`)")
        return self

    def target(self, key: str) -> DocsBranchTarget | DocsSshTarget:
        """The publish target named ``key``."""
        return next(t for t in self.publish if t.key == key)


# Package names of every ecosystem (PyPI, npm scopes, crates, OCI paths); a segment never starts with a dot,
# so a name cannot climb out of a file registry's directory.
PACKAGE_NAME = r"^@?[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$"


class Publish(Model):
    """A registry to publish every release to, and the package name there."""

    registry: Name
    package: str = Field(
        pattern=PACKAGE_NAME,
        description="The package name in the registry: a name, @scope/name (npm) or a/b (OCI); no '..'",
    )
    playbook: Annotated[str, AfterValidator(_playbook)] | None = Field(
        None,
        description="Override the publishing playbook: a fleet-repo path, or repo:PATH in the product repo",
    )


class Sign(Model):
    """How released versions are signed: an SSH key (``ssh-keygen -Y sign``) by reference, and its public
    half written out, which is what verifiers trust (never a key found next to the artifacts)."""

    key: SecretRef = Field(description="The private SSH key (OpenSSH format, no passphrase), by secretRef")
    public_key: str = Field(
        pattern=r"^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+=*( .*)?$",
        description="The public key verifiers check signatures with (one line of an OpenSSH .pub file)",
    )


class Supply(Model):
    """The supply facet: every released version gets an SBOM (CycloneDX), SHA-256 checksums of its
    artifacts, an SSH signature over them and an in-toto/SLSA provenance statement, published beside the
    artifacts (a file registry) or in ``store`` (a file registry that keeps the evidence of registries
    that cannot hold it), and verified against the published artifacts."""

    want: Literal["attested"] = "attested"
    sign: Sign
    store: Name | None = Field(
        None,
        description="A file registry keeping the evidence of versions published to pypi, npm, crates or OCI "
        "registries (which cannot hold it); not needed when every publish registry is a file registry",
    )


class Release(Model):
    """The release facet: releasable commits get a version and tag, published to every `publish` registry."""

    want: Literal["released"] = "released"
    versioning: Versioning = Versioning.CONVENTIONAL
    version: str | None = Field(None, description="The pinned version (versioning: pinned)")
    tag_format: str | None = Field(
        None,
        description="Tag name with {version} and {product}; default v{version}, "
        "or {product}-v{version} for a product at a source.path of a monorepo",
    )
    prerelease: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9]*$",
        description="Pre-release channel: versions become X.Y.Z-<channel>.N (e.g. rc)",
    )
    version_file: RepoPath | None = Field(
        None, description="Default: pyproject.toml, package.json, Cargo.toml or VERSION"
    )
    publish: list[Publish] = Field(default_factory=list)

    @model_validator(mode="after")
    def _pinned(self) -> Release:
        if self.versioning is Versioning.PINNED and not self.version:
            raise ValueError("versioning: pinned needs `version`")
        if self.tag_format is not None and "{version}" not in self.tag_format:
            raise ValueError("tagFormat must contain {version}")
        return self


_SECRETISH = re.compile(r"pass(word)?|secret|token|private|credential|api_?key", re.I)


class Terraform(Model):
    """A Terraform configuration in the product's repository, and how to plan it.

    Plain ``vars`` are values; a variable holding a secret names the environment variable that holds it
    (``secretVars``), never the value. State lives in the local backend under the fleet's state directory
    unless the configuration declares its own backend (``backend`` sets its ``-backend-config`` values).
    """

    dir: RepoPath = Field(description="Directory of the configuration, relative to the product's directory")
    vars: dict[str, Any] = Field(default_factory=dict, description="Terraform variables (no secrets)")
    secret_vars: dict[str, str | SecretRef] = Field(
        default_factory=dict,
        description="Variable name -> the environment variable holding it, or {secretRef: NAME}",
    )
    var_files: list[Annotated[str, AfterValidator(lambda p: inside(p, "infra.terraform.dir"))]] = Field(
        default_factory=list, description="-var-file paths, relative to `dir`"
    )
    workspace: str = Field("default", pattern=r"^[A-Za-z0-9_-]+$")
    backend: dict[str, str] | None = Field(
        None, description="-backend-config values for the backend the configuration declares"
    )

    @model_validator(mode="after")
    def _check(self) -> Terraform:
        inline = sorted(k for k, v in self.vars.items() if isinstance(v, str) and _SECRETISH.search(k))
        if inline:
            raise ValueError(
                f"variable {inline[0]!r} looks like a secret: name its environment variable in "
                "secretVars instead of writing the value"
            )
        both = sorted(set(self.vars) & set(self.secret_vars))
        if both:
            raise ValueError(f"variable {both[0]!r} is both in vars and secretVars")
        return self

    def env_names(self) -> list[str]:
        """The environment variables holding secret variables (their values are redacted everywhere)."""
        return [v for v in self.secret_vars.values() if isinstance(v, str)]


class Infra(Model):
    """The infra facet: the product's Terraform configuration should be applied."""

    want: Literal["applied"] = "applied"
    terraform: Terraform


DeployVar = SecretRef | str | int | float | bool | list[Any] | dict[str, Any] | None


class HttpHealth(Model):
    """An HTTP health check run on each host: GET http://HOST:PORT/PATH answers 200 and contains
    ``expect`` (``{version}`` is replaced by the version being deployed)."""

    path: str = "/healthz"
    port: int = Field(ge=1, le=65535, description="Default port; a host var service_port overrides it")
    expect: str | None = Field(None, description="Text the body must contain; may hold {version}")


class HealthCheck(Model):
    """How a host proves it is healthy: an HTTP check, or a command run on the host (exit 0 = healthy)."""

    http: HttpHealth | None = None
    command: Command | None = None
    retries: int = Field(10, ge=1, le=600, description="Tries after a restart before the host is unhealthy")
    delay: float = Field(0.5, ge=0, description="Seconds between tries")

    @model_validator(mode="after")
    def _one(self) -> HealthCheck:
        if (self.http is None) == (self.command is None):
            raise ValueError("healthCheck needs exactly one of `http` or `command`")
        return self


class Environment(Model):
    """One deploy environment: its hosts, the playbook, vars, the rolling batch, the health check."""

    name: Name
    inventory: FleetPath | None = Field(
        None, description="Ansible inventory file, relative to the fleet root"
    )
    hosts_from: HostsFrom | None = None
    playbook: FleetPath | None = Field(
        None, description="A fleet-repo path; default: the shipped resources/ansible/deploy.yml"
    )
    vars: dict[str, DeployVar] = Field(
        default_factory=dict, description="Service settings; a secret is {secretRef: NAME}, never a value"
    )
    batch: int | str = Field(1, description='Hosts per batch: a number, or a share such as "25%"')
    max_unavailable: int | None = Field(
        None,
        ge=1,
        description="At most this many hosts unavailable at once: those already down or unhealthy plus the "
        "batch being deployed. Caps the batch; when unavailable hosts alone use it up, a deploy that would "
        "take a healthy host down waits (one that only replaces unavailable hosts goes ahead)",
    )
    health_check: HealthCheck
    promote_after: Name | None = Field(
        None, description="Deploy here only once this environment is healthy on the new version"
    )

    @model_validator(mode="after")
    def _check(self) -> Environment:
        if (self.inventory is None) == (self.hosts_from is None):
            raise ValueError(f"environment {self.name!r} needs exactly one of `inventory` or `hostsFrom`")
        if isinstance(self.batch, str) and not re.fullmatch(r"[1-9][0-9]?%|100%", self.batch):
            raise ValueError(f'batch must be a number or a share such as "25%", got {self.batch!r}')
        if isinstance(self.batch, int) and self.batch < 1:
            raise ValueError("batch must be at least 1")
        inline = sorted(k for k, v in self.vars.items() if isinstance(v, str) and _SECRETISH.search(k))
        if inline:
            raise ValueError(
                f"var {inline[0]!r} looks like a secret: write {{secretRef: NAME}} instead of the value"
            )
        return self

    def secret_refs(self) -> list[str]:
        """The names of the secrets its vars reference."""
        return sorted({v.secret_ref for v in self.vars.values() if isinstance(v, SecretRef)})


class Deploy(Model):
    """The deploy facet: the last released version runs and is healthy on every host of every
    environment (rolled out with Ansible, batch by batch, rolled back when a batch is unhealthy)."""

    want: Literal["released"] = "released"
    environments: list[Environment] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Deploy:
        names = [e.name for e in self.environments]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"environment {dup[0]!r} is declared twice")
        after = {e.name: e.promote_after for e in self.environments}
        for e in self.environments:
            if e.promote_after is not None and e.promote_after not in after:
                raise ValueError(
                    f"environment {e.name!r}: promoteAfter names no environment: {e.promote_after!r}"
                )
            seen, cur = {e.name}, e.promote_after
            while cur is not None:
                if cur in seen:
                    raise ValueError(f"environment {e.name!r}: promoteAfter forms a cycle")
                seen.add(cur)
                cur = after.get(cur)
        return self

    def environment(self, name: str) -> Environment:
        """The environment named ``name``."""
        return next(e for e in self.environments if e.name == name)


class Announce(Model):
    """The announce facet: every released version is announced once on each of the fleet's channels named."""

    want: Literal["announced"] = "announced"
    channels: list[Name] = Field(min_length=1, description="Channels of the Fleet's spec.announce.channels")
    template: str | None = Field(
        None,
        description="Jinja2 message text: {{ product }}, {{ version }}, {{ changelog }}, {{ links.NAME }}",
    )
    links: dict[str, str] = Field(
        default_factory=dict, description="Links offered to templates and macros as {{ links.NAME }}"
    )


class DependencyUpdates(Model):
    """How a product follows the releases of the fleet products its manifests name (``change.propose``
    of a manifest bump, proven by its CI, then ``change.merge`` under the constitution)."""

    policy: UpdatePolicy = Field(
        UpdatePolicy.NONE,
        description="How far it follows by itself: none, patch, minor or major (0.x minors are majors)",
    )


class Dependencies(Model):
    """The product's dependencies inside the fleet: how its manifests take their new releases."""

    update: DependencyUpdates = Field(default_factory=DependencyUpdates)


class ProductSpec(Model):
    """What one product wants: its source, language, dependencies, and the facets to reconcile."""

    source: Source
    language: Language
    depends_on: list[Name] = Field(default_factory=list)
    dependencies: Dependencies | None = Field(
        None, description="Following fleet dependencies' releases (fleet default: spec.defaults)"
    )
    build: Build | None = None
    docs: Docs | None = None
    release: Release | None = None
    infra: Infra | None = None
    deploy: Deploy | None = Field(None, description="Roll the released version out to hosts (needs release)")
    announce: Announce | None = None
    supply: Supply | None = Field(
        None,
        description="SBOM, checksums, signature and provenance of every released version (needs release)",
    )
    git: ProductGit | None = Field(None, description="The product's forge (else the fleet's spec.git.forge)")
    suspend: bool = Field(False, description="Observed and shown, never acted on (Flux style)")

    @model_validator(mode="after")
    def _deploy_needs_release(self) -> ProductSpec:
        if self.deploy is not None and self.release is None:
            raise ValueError("deploy rolls out released versions: it needs `release`")
        for target in self.docs.publish if self.docs is not None else ():
            if isinstance(target, DocsBranchTarget) and target.branch == self.source.branch:
                raise ValueError(f"docs.publish: branch {target.branch!r} is the source branch")
            if isinstance(target, DocsBranchTarget) and target.versions and self.release is None:
                raise ValueError(
                    f"docs.publish {target.key!r}: versions are the released ones: it needs `release`"
                )
        return self

    @property
    def tag_format(self) -> str:
        """The release tag format in effect (monorepo products get their name in the tag by default)."""
        if self.release is not None and self.release.tag_format:
            return self.release.tag_format
        return "{product}-v{version}" if self.source.path else "v{version}"


class Product(Model):
    """A Product document (products/**/*.yaml): one product's source and the state it should be in."""

    api_version: Literal["codemonkeys.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["Product"]
    metadata: Metadata
    spec: ProductSpec


# --- Constitution -----------------------------------------------------------------------------


class Match(Model):
    """Which actions a rule applies to: every key given must match; omitted keys match everything."""

    actions: list[str] = Field(default_factory=list, description="Action-kind globs such as release.*")
    products: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    companies: list[str] = Field(default_factory=list)


class Deny(Model):
    """Deny matching actions with a message: always, or when a CEL condition holds."""

    when: str | None = Field(
        None, description="CEL condition over action, product, facts, now, fleet; omitted: always"
    )
    message: str


class Hold(Model):
    """Hold matching actions until enough distinct people approve them (cmctl approve)."""

    when: str | None = Field(None, description="CEL condition; omitted: always hold")
    approvals: int = Field(1, ge=1, description="Distinct approvers needed")
    approvers: list[str] = Field(
        default_factory=list, description="Names or spec.groups that may approve; empty: anyone"
    )


class Limit(Model):
    """A budget: at most `count` succeeded actions of the matched kinds within `per`, in the `scope`."""

    count: int = Field(ge=0)
    per: Duration
    scope: LimitScope = LimitScope.PRODUCT


class Window(Model):
    """When matching actions are allowed (outside it they are denied)."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(default_factory=list)
    start: str | None = Field(None, pattern=r"^\d{2}:\d{2}$")
    end: str | None = Field(None, pattern=r"^\d{2}:\d{2}$")
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _check(self) -> Window:
        zone(self.timezone)
        for t in (self.start, self.end):
            if t:
                parse_hhmm(t)
        return self


class Freeze(Model):
    """When matching actions are forbidden: two ISO dates/datetimes, or a weekly span such as fri 16:00."""

    start: str = Field(description="ISO date or datetime, or a weekly time such as 'fri 16:00'")
    end: str = Field(description="ISO date (inclusive) or datetime, or a weekly time such as 'mon 08:00'")
    timezone: str = "UTC"
    message: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Freeze:
        tz = zone(self.timezone)
        a, b = parse_point(self.start, tz), parse_point(self.end, tz)
        if type(a) is not type(b):
            raise ValueError("freeze start and end must both be weekly times or both dates")
        return self


class AuditDuty(StrEnum):
    """What the actuator must prove for an allowed action: its log kept, a dry run first, a screenshot."""

    LOG = "log"  # the action's full log is kept in the journal
    DRY_RUN = "dry-run"  # the actuator verified the effect before making it
    SCREENSHOT = "screenshot"  # a screenshot of the result is attached


def fact_names() -> tuple[str, ...]:
    """Every policy fact a rule may ``require``: each registered facet's (``FacetPlugin.fact`` and
    ``action_facts``), and each as ``deps.<fact>`` (true of every ``dependsOn`` product). The facets sit
    above the kinds, so the registry is looked up on first use (as a plug-in is), not imported."""
    registry = importlib.import_module("codemonkeys.facets").FACETS
    own = registry.fact_names()
    return (*own, *(f"deps.{f}" for f in own))


def _known_fact(name: str) -> str:
    known = fact_names()
    if name not in known:
        raise ValueError(f"unknown fact {name!r}: one of {', '.join(known)}")
    return name


class _FactsSchema:
    """The JSON Schema of a fact name: the registered facts, listed when the schema is rendered."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"type": "string", "enum": list(fact_names())}


FactName = Annotated[str, AfterValidator(_known_fact), _FactsSchema()]


class Rule(Model):
    """One policy rule: the actions it matches and its effects (deny, require, hold, limit, window, ...)."""

    id: str = Field(pattern=r"^[a-z0-9][-a-z0-9_.]*$")
    description: str | None = None
    enforcement: Enforcement = Enforcement.MANDATORY
    match: Match = Field(default_factory=Match)
    deny: Deny | None = None
    require: list[FactName] = Field(default_factory=list)
    hold: Hold | None = None
    limit: Limit | None = None
    window: Window | None = None
    freeze: Freeze | None = None
    audit: list[AuditDuty] = Field(default_factory=list)


class ConstitutionSpec(Model):
    """The policy: the verdict when no mandatory rule applies, approver groups, and the rules in order."""

    default: PolicyDefault = PolicyDefault.DENY
    groups: dict[str, list[str]] = Field(default_factory=dict, description="Approver groups: name -> members")
    rules: list[Rule] = Field(default_factory=list)


class Constitution(Model):
    """The Constitution document (constitution.yaml): the policy every planned action passes through."""

    api_version: Literal["codemonkeys.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["Constitution"]
    metadata: Metadata
    spec: ConstitutionSpec


KINDS: dict[str, type[Model]] = {"Fleet": Fleet, "Product": Product, "Constitution": Constitution}
