"""The SBOM of one released version: a deterministic CycloneDX 1.6 JSON document (cyclonedx-python-lib).

The BOM's metadata component is the product (``pkg:pypi`` / ``pkg:npm`` / ``pkg:cargo``); its nested
``file`` components are the version's artifacts, each with its SHA-256. The other components are the
dependencies as the checkout declares them, read offline, nothing installed or resolved:

* Python: ``pyproject.toml`` ``[project].dependencies`` (and ``[tool.poetry.dependencies]``) and every
  ``requirements*.txt`` beside it, as declared (a single ``==`` pin gives the version, a range leaves it
  out); with a ``uv.lock`` (or else a ``poetry.lock``) the locked packages, exact, with their edges;
* npm: ``npm-shrinkwrap.json`` or ``package-lock.json`` (lockfileVersion 2 or 3: the ``packages``
  entries, nested ``node_modules`` resolved as Node does, ``dev`` entries scoped ``excluded``); without
  one (or with a version 1 lock), ``package.json``'s dependencies;
* Rust: ``Cargo.lock``'s ``[[package]]`` entries without the product itself; without a lock,
  ``Cargo.toml``'s dependency tables.

What a file declares is kept as a ``codemonkeys:declared`` property (``<file>: <requirement>``, URLs
without their user info). The same inputs give the same document, byte for byte: components and
properties are sorted by the library, every ``bom-ref`` is a purl (``file:<name>`` for an artifact), the
serial number is a UUID5 of the inputs, and the timestamp is ``source_date_epoch`` (omitted without one).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component, ComponentScope, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from packageurl import PackageURL
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

SPEC_VERSION = "1.6"
# the product languages (the strings of a product's spec.language) and the purl type of each
ECOSYSTEMS: dict[str, str] = {
    "python": "pypi",
    "javascript": "npm",
    "typescript": "npm",
    "node": "npm",  # vocab.enums.Language.NODE
    "rust": "cargo",
}
SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://codemonkeys.dev/supply/sbom")
DECLARED = "codemonkeys:declared"  # a component's property: "<file>: <requirement as written>"
ARTIFACT_REF = "file:"  # the bom-ref prefix of an artifact's component
_SCOPE_RANK = {"required": 0, "optional": 1, "excluded": 2}
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_EXACT_SEMVER = re.compile(r"=?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)")
_BAD_NAME = re.compile(r"[\\\n\r/\x00]")


class SupplyError(Exception):
    """Supply-chain evidence cannot be made, signed or read; the message names files, never a key."""


@dataclass(frozen=True)
class Dependency:
    """One dependency of the product as its checkout declares or locks it."""

    ecosystem: str  # the purl type: pypi, npm, cargo
    name: str
    version: str | None = None  # exact (a lock or a single pin); None when only a range is declared
    declared: tuple[str, ...] = ()  # "<file>: <requirement as written>", URLs without user info
    scope: str = "required"  # CycloneDX: required, optional (npm optional), excluded (dev only)
    depends_on: tuple[str, ...] = ()  # purls of the dependencies it depends on (from a lock)

    @property
    def purl(self) -> str:
        """The package URL of this dependency (without a version when only a range is declared)."""
        return purl(self.ecosystem, self.name, self.version)


@dataclass(frozen=True)
class Declared:
    """What a checkout declares: its dependencies, the purls the product uses directly, the files read."""

    dependencies: tuple[Dependency, ...] = ()
    direct: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass
class _Acc:
    """A dependency being gathered from several entries or files (merged by purl)."""

    ecosystem: str
    name: str
    version: str | None
    declared: set[str] = field(default_factory=set)
    scope: str = "excluded"
    depends_on: set[str] = field(default_factory=set)

    def add(self, scope: str, declared: Iterable[str] = (), depends_on: Iterable[str] = ()) -> None:
        """Merge one more entry: the widest scope wins (required over optional over excluded)."""
        if _SCOPE_RANK[scope] < _SCOPE_RANK[self.scope]:
            self.scope = scope
        self.declared.update(declared)
        self.depends_on.update(depends_on)

    def freeze(self, known: set[str]) -> Dependency:
        """The immutable dependency; edges to purls that are not components are dropped."""
        own = purl(self.ecosystem, self.name, self.version)
        return Dependency(
            self.ecosystem,
            self.name,
            self.version,
            tuple(sorted(self.declared)),
            self.scope,
            tuple(sorted(p for p in self.depends_on if p in known and p != own)),
        )


# -- small shared helpers ------------------------------------------------------------------------------


def ecosystem_of(language: str) -> str:
    """The purl type of a product language: ``python`` -> ``pypi``, ``typescript`` -> ``npm``, ..."""
    try:
        return ECOSYSTEMS[language.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(ECOSYSTEMS))
        raise SupplyError(f"no SBOM for language {language!r}; known: {known}") from None


def purl(ecosystem: str, name: str, version: str | None = None) -> str:
    """The package URL of a package: an npm scope becomes the namespace (``pkg:npm/%40acme/web@1.0.0``)."""
    namespace = None
    if ecosystem == "npm" and name.startswith("@") and "/" in name:
        namespace, name = name.split("/", 1)
    return PackageURL(type=ecosystem, namespace=namespace, name=name, version=version or None).to_string()


def scrub(text: str) -> str:
    """``text`` with the user info of any URL in it removed: ``https://u:token@host/x`` -> ``https://host/x``."""
    return _USERINFO.sub("", text)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as lowercase hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_file_name(name: str) -> str:
    """``name`` if it can stand in a SHA256SUMS line and a bundle; a :class:`SupplyError` otherwise."""
    if not name or name in (".", "..") or _BAD_NAME.search(name):
        raise SupplyError(f"artifact name {name!r} cannot be listed (no slashes, backslashes or newlines)")
    return name


def artifact_digests(artifacts: Iterable[Path]) -> dict[str, str]:
    """File name -> SHA-256 of each artifact, sorted by name; names must be unique and the files present."""
    digests: dict[str, str] = {}
    for path in artifacts:
        path = Path(path)
        name = check_file_name(path.name)
        if name in digests:
            raise SupplyError(f"two artifacts are named {name!r}: a release lists each file name once")
        if not path.is_file():
            raise SupplyError(f"artifact {name!r} is not a file: {path}")
        digests[name] = sha256_file(path)
    return dict(sorted(digests.items()))


def sbom_artifacts(doc: dict[str, Any]) -> dict[str, str]:
    """File name -> SHA-256 of the artifacts an SBOM of :func:`make_sbom` lists (its metadata component's
    ``file`` components); empty when it lists none or is not such a document."""
    component = (doc.get("metadata") or {}).get("component") or {}
    found: dict[str, str] = {}
    for sub in component.get("components") or []:
        if not isinstance(sub, dict) or sub.get("type") != "file":
            continue
        for digest in sub.get("hashes") or []:
            if isinstance(digest, dict) and digest.get("alg") == "SHA-256":
                found[str(sub.get("name"))] = str(digest.get("content", "")).lower()
    return dict(sorted(found.items()))


def sbom_product(doc: dict[str, Any]) -> tuple[str, str]:
    """(name, version) of the product an SBOM describes; an npm scope is joined back (``@acme/web``)."""
    component = (doc.get("metadata") or {}).get("component") or {}
    name = str(component.get("name", ""))
    group = component.get("group")
    return (f"{group}/{name}" if group else name), str(component.get("version", ""))


# -- reading what a checkout declares ------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's data; a :class:`SupplyError` naming the file when it is not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SupplyError(f"{path.name} is not valid TOML: {exc}") from None


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object file's data; a :class:`SupplyError` naming the file when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SupplyError(f"{path.name} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SupplyError(f"{path.name} is not a JSON object")
    return data


def pep508(text: str, source: str) -> tuple[str, str | None, str] | None:
    """(canonical name, pinned version or None, declaration) of a PEP 508 requirement; None if unparsable."""
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    specs = list(req.specifier)
    pinned = None
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        pinned = specs[0].version
    return canonicalize_name(req.name), pinned, f"{source}: {scrub(str(req))}"


def requirements_lines(text: str) -> list[str]:
    """The requirement lines of a requirements file: continuations joined; comments, options
    (``-r``, ``-e``, ``--index-url``...) and per-line options (``--hash``) dropped."""
    lines: list[str] = []
    for raw in text.replace("\\\n", " ").splitlines():
        line = re.split(r"(?:^|\s)#", raw, maxsplit=1)[0].strip()
        line = re.split(r"\s--?[a-z]", line, maxsplit=1)[0].strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def _poetry_declared(data: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """``[tool.poetry.dependencies]`` (without ``python``): a bare version is a pin in Poetry."""
    table = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    found = []
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        text = spec if isinstance(spec, str) else str((spec or {}).get("version", ""))
        pinned = text if re.fullmatch(r"\d+(\.\d+)*", text) else None
        found.append((canonicalize_name(name), pinned, f"pyproject.toml: {name} {scrub(text)}".rstrip()))
    return found


def _python_declared(project_dir: Path) -> tuple[list[tuple[str, str | None, str]], list[str]]:
    """What pyproject.toml and requirements*.txt declare, and the files read."""
    found: list[tuple[str, str | None, str]] = []
    sources: list[str] = []
    pyproject = project_dir / "pyproject.toml"
    if pyproject.is_file():
        data = _read_toml(pyproject)
        sources.append(pyproject.name)
        for text in (data.get("project") or {}).get("dependencies") or []:
            if (parsed := pep508(str(text), pyproject.name)) is not None:
                found.append(parsed)
        found.extend(_poetry_declared(data))
    for path in sorted(project_dir.glob("requirements*.txt")):
        sources.append(path.name)
        for line in requirements_lines(path.read_text(encoding="utf-8", errors="replace")):
            if (parsed := pep508(line, path.name)) is not None:
                found.append(parsed)
    return found, sources


def _resolve_by_name(
    ecosystem: str, versions: dict[str, list[str]], name: str, version: str | None = None
) -> list[str]:
    """The purls a lock's reference to ``name`` (at ``version`` when given) points to."""
    have = versions.get(name, [])
    if version is not None and version in have:
        return [purl(ecosystem, name, version)]
    return [purl(ecosystem, name, v) for v in have] if version is None else []


def _python_lock(project_dir: Path, product: str) -> tuple[str, list[tuple[str, str, list[tuple]]]] | None:
    """(lock file, [(name, version, [(dep name, dep version or None)])]) of uv.lock or else poetry.lock;
    the product's own entry keeps the name ``""`` so that its edges say what it uses directly."""
    me = canonicalize_name(product)
    uv = project_dir / "uv.lock"
    if uv.is_file():
        entries = []
        for pkg in _read_toml(uv).get("package") or []:
            name = canonicalize_name(str(pkg.get("name", "")))
            deps = [
                (canonicalize_name(str(d.get("name", ""))), d.get("version"))
                for d in pkg.get("dependencies") or []
                if isinstance(d, dict)
            ]
            entries.append(("" if name == me else name, str(pkg.get("version", "")), deps))
        return uv.name, entries
    poetry = project_dir / "poetry.lock"
    if poetry.is_file():
        entries = []
        for pkg in _read_toml(poetry).get("package") or []:
            deps = [(canonicalize_name(n), None) for n in (pkg.get("dependencies") or {})]
            entries.append((canonicalize_name(str(pkg.get("name", ""))), str(pkg.get("version", "")), deps))
        return poetry.name, entries
    return None


def python_dependencies(project_dir: Path, product: str) -> Declared:
    """A Python checkout's dependencies: declared ranges and pins, or the lock's exact versions."""
    declared, sources = _python_declared(project_dir)
    lock = _python_lock(project_dir, product)
    accs: dict[str, _Acc] = {}
    direct: set[str] = set()
    locked: dict[str, list[str]] = {}
    own_edges: list[tuple] = []
    if lock is not None:
        sources.append(lock[0])
        for name, version, _ in lock[1]:
            if name and version:
                locked.setdefault(name, []).append(version)
        for name, version, deps in lock[1]:
            edges = [p for d, v in deps for p in _resolve_by_name("pypi", locked, d, v)]
            if not name:
                own_edges = deps
                continue
            if not version:
                continue
            acc = accs.setdefault(purl("pypi", name, version), _Acc("pypi", name, version))
            acc.add("required", depends_on=edges)
    for name, pinned, text in declared:
        if name == canonicalize_name(product):
            continue
        targets = _resolve_by_name("pypi", locked, name) if name in locked else []
        if not targets:
            key = next((k for k, a in accs.items() if a.name == name and name not in locked), None)
            if key is None:
                key = purl("pypi", name, pinned)
                accs[key] = _Acc("pypi", name, pinned)
            targets = [key]
        for target in targets:
            accs[target].add("required", declared=[text])
        direct.update(targets)
    if not declared and lock is not None:
        direct.update(p for d, v in own_edges for p in _resolve_by_name("pypi", locked, d, v))
        if not own_edges:
            direct.update(accs)
    return _declared(accs, direct, sources)


def _declared(accs: dict[str, _Acc], direct: Iterable[str], sources: Iterable[str]) -> Declared:
    """Freeze gathered dependencies into a :class:`Declared` (sorted by purl)."""
    known = set(accs)
    deps = tuple(accs[k].freeze(known) for k in sorted(accs))
    return Declared(deps, tuple(sorted(p for p in set(direct) if p in known)), tuple(sources))


def _npm_scope(entry: dict[str, Any]) -> str:
    """The CycloneDX scope of a package-lock entry: dev only -> excluded, optional -> optional."""
    if entry.get("dev"):
        return "excluded"
    if entry.get("optional") or entry.get("devOptional"):
        return "optional"
    return "required"


def _node_resolve(installed: dict[str, Any], from_path: str, dep: str) -> str | None:
    """The ``node_modules`` path Node would load ``dep`` from when required at ``from_path``."""
    base = from_path
    while True:
        candidate = f"{base}/node_modules/{dep}" if base else f"node_modules/{dep}"
        if candidate in installed:
            return candidate
        if not base:
            return None
        cut = base.rfind("node_modules/")
        base = base[:cut].rstrip("/") if cut > 0 else ""


_NPM_DEP_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")
_NPM_ROOT_FIELDS = ("dependencies", "optionalDependencies", "devDependencies", "peerDependencies")


def npm_lock_dependencies(lock: dict[str, Any], source: str = "package-lock.json") -> Declared:
    """The packages of a lockfileVersion 2/3 lock: one component per name@version, Node's resolution
    of nested ``node_modules`` for the edges; workspace links and folders are not packages."""
    packages = lock.get("packages") or {}
    installed: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, entry in packages.items():
        if not path or "node_modules/" not in path or not isinstance(entry, dict) or entry.get("link"):
            continue
        version = entry.get("version")
        if isinstance(version, str) and version:
            installed[path] = (str(entry.get("name") or path.rsplit("node_modules/", 1)[1]), version, entry)
    accs: dict[str, _Acc] = {}
    for path, (name, version, entry) in installed.items():
        edges = set()
        for fld in _NPM_DEP_FIELDS:
            for dep in entry.get(fld) or {}:
                if (at := _node_resolve(installed, path, dep)) is not None:
                    edges.add(purl("npm", installed[at][0], installed[at][1]))
        acc = accs.setdefault(purl("npm", name, version), _Acc("npm", name, version))
        acc.add(_npm_scope(entry), depends_on=edges)
    root = packages.get("") or {}
    direct = set()
    for fld in _NPM_ROOT_FIELDS:
        for dep, spec in (root.get(fld) or {}).items():
            if (at := _node_resolve(installed, "", dep)) is not None:
                key = purl("npm", installed[at][0], installed[at][1])
                accs[key].add(accs[key].scope, declared=[f"package.json: {dep}@{scrub(str(spec))}"])
                direct.add(key)
    return _declared(accs, direct, [source])


def npm_manifest_dependencies(manifest: dict[str, Any]) -> Declared:
    """package.json's dependencies as declared: an exact version gives the version, a range leaves it out;
    optionalDependencies are optional, devDependencies excluded."""
    accs: dict[str, _Acc] = {}
    for fld, scope in (
        ("dependencies", "required"),
        ("optionalDependencies", "optional"),
        ("devDependencies", "excluded"),
    ):
        for name, spec in (manifest.get(fld) or {}).items():
            exact = _EXACT_SEMVER.fullmatch(str(spec).strip())
            version = exact.group(1) if exact else None
            acc = accs.setdefault(purl("npm", name, version), _Acc("npm", name, version))
            acc.add(scope, declared=[f"package.json: {name}@{scrub(str(spec))}"])
    return _declared(accs, set(accs), ["package.json"])


def npm_dependencies(project_dir: Path) -> Declared:
    """An npm checkout's dependencies: its lock (v2/3) if any, else package.json's declarations."""
    for lock_name in ("npm-shrinkwrap.json", "package-lock.json"):
        lock_path = project_dir / lock_name
        if lock_path.is_file():
            lock = _read_json(lock_path)
            if int(lock.get("lockfileVersion") or 1) >= 2 and isinstance(lock.get("packages"), dict):
                return npm_lock_dependencies(lock, lock_name)
            break  # a version 1 lock: fall back to package.json
    manifest = project_dir / "package.json"
    return npm_manifest_dependencies(_read_json(manifest)) if manifest.is_file() else Declared()


def _crate_key(name: str) -> str:
    """Crates.io treats ``-`` and ``_`` in a crate name alike."""
    return name.replace("-", "_").lower()


def cargo_lock_dependencies(lock: dict[str, Any], product: str, source: str = "Cargo.lock") -> Declared:
    """Cargo.lock's packages without the product itself; the product's entry gives the direct ones."""
    me = _crate_key(product)
    versions: dict[str, list[str]] = {}
    for pkg in lock.get("package") or []:
        versions.setdefault(str(pkg.get("name", "")), []).append(str(pkg.get("version", "")))
    accs: dict[str, _Acc] = {}
    direct: set[str] = set()
    found_self = False
    for pkg in lock.get("package") or []:
        name, version = str(pkg.get("name", "")), str(pkg.get("version", ""))
        edges = []
        for ref in pkg.get("dependencies") or []:
            parts = str(ref).split()  # "name", "name version" or "name version (source)"
            edges += _resolve_by_name("cargo", versions, parts[0], parts[1] if len(parts) > 1 else None)
        if _crate_key(name) == me and "source" not in pkg:
            found_self = True
            direct.update(edges)
            continue
        accs.setdefault(purl("cargo", name, version), _Acc("cargo", name, version)).add(
            "required", depends_on=edges
        )
    return _declared(accs, direct if found_self else set(accs), [source])


def cargo_manifest_dependencies(manifest: dict[str, Any]) -> Declared:
    """Cargo.toml's dependency tables (target-specific ones too) as declared: ``=1.2.3`` gives the version;
    dev-dependencies are excluded."""
    tables: list[tuple[str, dict[str, Any]]] = []
    for scope_table in (manifest, *((manifest.get("target") or {}).values())):
        for fld, scope in (
            ("dependencies", "required"),
            ("build-dependencies", "required"),
            ("dev-dependencies", "excluded"),
        ):
            tables.append((scope, scope_table.get(fld) or {}))
    accs: dict[str, _Acc] = {}
    for scope, table in tables:
        for key, spec in table.items():
            spec = {"version": spec} if isinstance(spec, str) else dict(spec or {})
            name = str(spec.get("package") or key)
            req = str(spec.get("version") or ("git" if "git" in spec else "path" if "path" in spec else "*"))
            version = req[1:].strip() if re.fullmatch(r"=\s*\d+\.\d+\.\d+\S*", req) else None
            acc = accs.setdefault(purl("cargo", name, version), _Acc("cargo", name, version))
            acc.add(scope, declared=[f"Cargo.toml: {key} = {scrub(req)}"])
    return _declared(accs, set(accs), ["Cargo.toml"])


def cargo_dependencies(project_dir: Path, product: str) -> Declared:
    """A Rust checkout's dependencies: Cargo.lock if any, else Cargo.toml's declarations."""
    lock = project_dir / "Cargo.lock"
    if lock.is_file():
        return cargo_lock_dependencies(_read_toml(lock), product)
    manifest = project_dir / "Cargo.toml"
    return cargo_manifest_dependencies(_read_toml(manifest)) if manifest.is_file() else Declared()


def declared_dependencies(project_dir: Path, language: str, name: str) -> Declared:
    """What the checkout at ``project_dir`` declares for ``language``, read offline (see the module doc)."""
    ecosystem = ecosystem_of(language)
    project_dir = Path(project_dir)
    if not project_dir.is_dir():
        raise SupplyError(f"no checkout at {project_dir}")
    if ecosystem == "pypi":
        return python_dependencies(project_dir, name)
    if ecosystem == "npm":
        return npm_dependencies(project_dir)
    return cargo_dependencies(project_dir, name)


# -- the document ----------------------------------------------------------------------------------------


def serial_number(
    ecosystem: str,
    name: str,
    version: str,
    digests: dict[str, str],
    declared: Declared,
    source_date_epoch: int | None,
) -> uuid.UUID:
    """The BOM's serial number: a UUID5 of everything the document says, so a re-run gives the same one."""
    inputs = {
        "product": purl(ecosystem, name, version),
        "artifacts": digests,
        "dependencies": [
            [d.purl, list(d.declared), d.scope, list(d.depends_on)] for d in declared.dependencies
        ],
        "direct": list(declared.direct),
        "timestamp": source_date_epoch,
        "spec": SPEC_VERSION,
    }
    return uuid.uuid5(SERIAL_NAMESPACE, json.dumps(inputs, sort_keys=True, separators=(",", ":")))


def _scoped(ecosystem: str, name: str) -> tuple[str | None, str]:
    """(group, name) of a component: an npm scope is its group (``@acme/web`` -> ``@acme``, ``web``)."""
    if ecosystem == "npm" and name.startswith("@") and "/" in name:
        group, short = name.split("/", 1)
        return group, short
    return None, name


def _component(dep: Dependency) -> Component:
    """A dependency's library component (an npm scope is its group)."""
    group, short = _scoped(dep.ecosystem, dep.name)
    ref = dep.purl
    return Component(
        name=short,
        group=group,
        version=dep.version,
        type=ComponentType.LIBRARY,
        purl=PackageURL.from_string(ref),
        bom_ref=BomRef(ref),
        scope=ComponentScope(dep.scope),
        properties=[Property(name=DECLARED, value=text) for text in dep.declared],
    )


def _bom(
    ecosystem: str,
    name: str,
    version: str,
    digests: dict[str, str],
    declared: Declared,
    source_date_epoch: int | None,
) -> Bom:
    """The cyclonedx-python-lib model of the document."""
    ref = purl(ecosystem, name, version)
    group, short = _scoped(ecosystem, name)
    root = Component(
        name=short,
        group=group,
        version=version,
        type=ComponentType.APPLICATION,
        purl=PackageURL.from_string(ref),
        bom_ref=BomRef(ref),
    )
    for file_name, digest in digests.items():
        root.components.add(
            Component(
                name=file_name,
                type=ComponentType.FILE,
                bom_ref=BomRef(ARTIFACT_REF + file_name),
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=digest)],
            )
        )
    metadata = BomMetaData(component=root)
    metadata.timestamp = (
        datetime.fromtimestamp(source_date_epoch, UTC) if source_date_epoch is not None else None
    )
    bom = Bom(
        serial_number=serial_number(ecosystem, name, version, digests, declared, source_date_epoch),
        metadata=metadata,
    )
    components = {dep.purl: _component(dep) for dep in declared.dependencies}
    for component in components.values():
        bom.components.add(component)
    bom.register_dependency(root, [components[p] for p in declared.direct])
    for dep in declared.dependencies:
        bom.register_dependency(components[dep.purl], [components[p] for p in dep.depends_on])
    return bom


@cache
def _validator() -> Any:
    """The library's strict JSON-schema validator of CycloneDX 1.6 (loaded once)."""
    try:
        from cyclonedx.validation.json import JsonStrictValidator

        return JsonStrictValidator(SchemaVersion.V1_6)
    except Exception as exc:  # MissingOptionalDependencyException without jsonschema
        raise SupplyError(
            "validating an SBOM needs `pip install 'cyclonedx-python-lib[json-validation]'`"
        ) from exc


def validate_sbom(text: str) -> None:
    """Raise a :class:`SupplyError` unless ``text`` is a valid CycloneDX 1.6 JSON document."""
    error = _validator().validate_str(text)
    if error is not None:
        first = (str(error).strip().splitlines() or ["no message"])[0]
        raise SupplyError(f"the SBOM is not valid CycloneDX {SPEC_VERSION}: {first[:300]}")


def make_sbom(
    project_dir: Path,
    language: str,
    name: str,
    version: str,
    artifacts: list[Path],
    *,
    source_date_epoch: int | None = None,
    validate: bool = True,
) -> dict[str, Any]:
    """The CycloneDX 1.6 SBOM (a JSON document as a dict) of version ``version`` of product ``name``.

    ``artifacts`` are the version's files (listed with their SHA-256); the dependencies are what the
    checkout at ``project_dir`` declares for ``language`` (python, javascript, typescript, node, rust).
    ``source_date_epoch`` (seconds, e.g. the release commit's time or ``$SOURCE_DATE_EPOCH``) is the
    document's timestamp; without it there is none. The same inputs give the same document, byte for
    byte. With ``validate`` the output is checked against the CycloneDX 1.6 JSON schema.
    """
    ecosystem = ecosystem_of(language)
    if not name or not version:
        raise SupplyError("an SBOM needs the product's name and version")
    digests = artifact_digests(artifacts)
    declared = declared_dependencies(Path(project_dir), language, name)
    text = JsonV1Dot6(_bom(ecosystem, name, version, digests, declared, source_date_epoch)).output_as_string()
    if validate:
        validate_sbom(text)
    return json.loads(text)
