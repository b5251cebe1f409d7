"""Load a fleet repo into a validated ``DesiredState``, reporting every problem as ``FILE:LINE:COL``.

Layout: ``fleet.yaml`` (one Fleet), ``constitution.yaml`` (one Constitution), ``products/**/*.yaml``
(one or more Product documents each). The loader never stops at the first problem: it checks syntax,
envelopes and fields of every document, then the cross-document rules (duplicate names, unknown
``dependsOn`` targets, cycles, undeclared registries and companies). Position of a problem is the
offending key or value; values merged in from ``Fleet.spec.defaults`` point into ``fleet.yaml``.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from codemonkeys.kinds.cache import CachedDoc, LoadCache
from codemonkeys.kinds.models import API_VERSION, CIKind, Constitution, Fleet, Model, Product, Rule
from codemonkeys.kinds.overlays import OVERLAY_DIR, loosenings, overlay_files, scoped
from codemonkeys.kinds.yamlpos import Document, Pos, dotted, load_yaml, load_yaml_fast
from codemonkeys.vocab.diagnostics import Diagnostic

FLEET_FILE = "fleet.yaml"
CONSTITUTION_FILE = "constitution.yaml"
PRODUCTS_DIR = "products"
STATE_DIR = ".cmctl"

_URLISH = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/\s]+@[^/\s]+:)", re.I)


@dataclass(frozen=True)
class ProductEntry:
    """A loaded Product with the file it came from and the position of its ``metadata.name``."""

    product: Product
    file: str
    pos: Pos


@dataclass(frozen=True)
class DesiredState:
    """Everything the fleet repo declares, validated. Immutable input to the planner."""

    root: Path  # absolute
    revision: str  # git commit of the fleet repo ("unversioned" outside git), "+dirty" if edited
    digest: str  # sha256 over the loaded files: changes whenever the desired state does
    fleet: Fleet
    constitution: Constitution
    entries: dict[str, ProductEntry] = field(default_factory=dict)
    constitution_revision: str = "unversioned"  # last commit that touched constitution.yaml (+dirty)
    overlays: dict[str, tuple[Rule, ...]] = field(default_factory=dict)  # company -> its overlay's rules

    @cached_property
    def products(self) -> dict[str, Product]:
        """Product name -> validated Product, for every product the fleet declares."""
        return {name: e.product for name, e in self.entries.items()}

    def repo_location(self, product: str) -> str:
        """The product's git repo: URLs as written, relative paths resolved against the fleet root."""
        repo = self.entries[product].product.spec.source.repo
        return repo if _URLISH.match(repo) else str((self.root / repo).resolve())

    def registry_path(self, name: str) -> Path:
        """The directory of the ``file`` registry ``name``, resolved against the fleet root."""
        reg = self.fleet.spec.registries[name]
        assert reg.path is not None
        return (self.root / reg.path).resolve()

    @property
    def state_dir(self) -> Path:
        """The controller's state directory, ``<fleet>/.cmctl``."""
        return self.root / STATE_DIR

    @property
    def state_url(self) -> str:
        """The store's SQLAlchemy URL: ``spec.state.url``, else SQLite under the state dir."""
        return self.fleet.spec.state.url or f"sqlite:///{(self.state_dir / 'state.db').resolve()}"

    @property
    def oracle_url(self) -> str:
        """The oracle's code-graph database (SQLite under the state dir)."""
        return f"sqlite:///{(self.state_dir / 'oracle.db').resolve()}"

    def ci_kind(self, product: str) -> CIKind:
        """The CI that builds ``product``: its own ``build.ci``, else the fleet's default."""
        build = self.entries[product].product.spec.build
        return (build.ci if build and build.ci else None) or self.fleet.spec.ci.default


# ---------------------------------------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.diags: set[Diagnostic] = set()

    def at(self, pos: Pos, message: str) -> None:
        self.diags.add(Diagnostic(pos.file, pos.line, pos.col, message))

    def extend(self, diags: list[Diagnostic]) -> None:
        self.diags.update(diags)


def _merge_defaults(
    doc: Document,
    fleet_doc: Document | None,
    defaults: dict[str, Any],
    at: tuple = ("spec", "defaults"),
) -> tuple:
    """Deep-merge ``defaults`` (found at ``at`` in fleet.yaml) under ``doc.data['spec']`` (what the
    product already has wins), carrying fleet.yaml positions. Returns what was merged in: ``(at, path)``
    of each whole subtree."""
    spec = doc.data.get("spec")
    if not isinstance(spec, dict) or not defaults:
        return ()
    added: list[tuple] = []  # paths whose whole subtree came from the defaults

    def merge(into: dict, extra: dict, path: tuple) -> None:
        for key, value in extra.items():
            sub = (*path, key)
            if key not in into:
                into[key] = copy.deepcopy(value)
                added.append((at, sub))
            elif isinstance(into[key], dict) and isinstance(value, dict):
                merge(into[key], value, sub)

    merge(spec, defaults, ("spec",))
    carry_positions(doc, fleet_doc, tuple(added))
    return tuple(added)


def carry_positions(doc: Document, fleet_doc: Document | None, added: tuple) -> None:
    """Once ``doc`` has positions, what was merged in from the defaults points into fleet.yaml."""
    if added and fleet_doc is not None:
        doc.on_positions(lambda d: _carry_positions(d, fleet_doc, added))


def _carry_positions(doc: Document, fleet_doc: Document, added: tuple) -> None:
    """Positions of everything merged in from the defaults point into fleet.yaml."""
    for at, sub in added:
        src = (*at, *sub[1:])
        for table, target in ((fleet_doc.keys, doc.keys), (fleet_doc.values, doc.values)):
            for p, pos in table.items():
                if p[: len(src)] == src:
                    target.setdefault((*sub, *p[len(src) :]), pos)


def _merge_company_defaults(doc: Document, fleet_doc: Document | None) -> tuple:
    """Deep-merge the defaults of the product's company (``spec.companies[].defaults`` in fleet.yaml)
    under its spec: the product wins over its company, its company over the fleet's defaults."""
    company = _get(doc.data, "metadata", "company")
    if fleet_doc is None or not isinstance(company, str):
        return ()
    for i, entry in enumerate(_list(_get(fleet_doc.data, "spec", "companies"))):
        if (
            isinstance(entry, dict)
            and entry.get("name") == company
            and isinstance(entry.get("defaults"), dict)
        ):
            return _merge_defaults(doc, fleet_doc, entry["defaults"], ("spec", "companies", i, "defaults"))
    return ()


def _validate(doc: Document, kind: str, model: type[Model], out: _Collector) -> Model | None:
    data = doc.data
    if not isinstance(data, dict):
        out.at(
            doc.start,
            f"expected a mapping with apiVersion, kind, metadata and spec, got {type(data).__name__}",
        )
        return None
    ok = True
    if data.get("apiVersion") != API_VERSION:
        where = doc.value_pos(("apiVersion",)) if "apiVersion" in data else doc.start
        out.at(where, f"apiVersion: expected {API_VERSION!r}, got {data.get('apiVersion')!r}")
        ok = False
    if data.get("kind") != kind:
        where = doc.value_pos(("kind",)) if "kind" in data else doc.start
        out.at(where, f"kind: expected {kind!r} in this file, got {data.get('kind')!r}")
        ok = False
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(
                p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("[", "function-")))
            )
            if loc in (("apiVersion",), ("kind",)):
                continue  # already reported above, with a better message
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                out.at(doc.key_pos(loc), f"{dotted(loc)}: unknown field {loc[-1]!r}")
            elif err["type"] == "missing":
                out.at(doc.key_pos(loc[:-1]), f"{dotted(loc[:-1])}: missing required field {loc[-1]!r}")
            else:
                out.at(doc.value_pos(loc), f"{dotted(loc)}: {msg}")
        return None
    return obj if ok else None


def _read(path: Path | str, display: str, out: _Collector, digest: Any) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        out.at(Pos(display, 1, 1), f"cannot read: {exc.strerror}")
        return None
    digest.update(display.encode() + b"\0" + raw + b"\0")
    return raw


def _parse(raw: bytes, display: str, out: _Collector) -> list[Document]:
    """The file's documents: libyaml without positions when it is clean, else with them and diagnostics."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.at(Pos(display, 1, 1), f"not UTF-8: {exc.reason} at byte {exc.start}")
        return []
    docs = load_yaml_fast(text, display)
    if docs is not None:
        return docs
    docs, diags = load_yaml(text, display)
    out.extend(diags)
    return docs


def _read_docs(path: Path, display: str, out: _Collector, digest: Any) -> list[Document]:
    raw = _read(path, display, out, digest)
    return [] if raw is None else _parse(raw, display, out)


def _one_doc(path: Path, display: str, kind: str, model: type[Model], out: _Collector, digest: Any):
    if not path.is_file():
        out.at(Pos(display, 1, 1), f"missing: a fleet repo needs one {kind} document here")
        return None, None
    docs = _read_docs(path, display, out, digest)
    if not docs:
        if not any(d.file == display for d in out.diags):
            out.at(Pos(display, 1, 1), f"empty: expected one {kind} document")
        return None, None
    for extra in docs[1:]:
        out.at(extra.start, f"only one {kind} document is allowed in {display}")
    return _validate(docs[0], kind, model, out), docs[0]


@dataclass(frozen=True)
class LoadHooks:
    """What the loader asks of the layers above it (kinds depend on nothing but the vocabulary).

    ``check_condition(text)`` returns the compile error of a CEL condition, or None (``policy.cel``);
    ``revision(root, paths, watched)`` returns the commit of the fleet repo (``repos.revision``).
    """

    check_condition: Callable[[str], str | None]
    revision: Callable[[Path, Sequence[str], Sequence[str]], str]


WATCHED = (FLEET_FILE, CONSTITUTION_FILE, PRODUCTS_DIR, OVERLAY_DIR)


def _product_files(root: Path) -> list[tuple[str, str]]:
    """``products/**/*.yaml`` and ``*.yml`` (as ``Path.glob`` finds them: not through symlinked
    directories), sorted like paths, with the name diagnostics show (``root/products/...``)."""
    top = root / PRODUCTS_DIR
    found: list[tuple[tuple[str, ...], str]] = []
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        parts = () if rel == "." else tuple(rel.split(os.sep))
        for name in (*filenames, *dirnames):
            if name.endswith((".yaml", ".yml")):
                found.append(((*parts, name), os.path.join(dirpath, name)))
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    found.sort(key=lambda f: f[0])
    return [(path, path) for _, path in found]


def _load_product_file(
    path: str, display: str, ctx: _ProductContext, out: _Collector, digest: Any
) -> list[tuple[Document, Product | None]]:
    """One product file's documents, each with its Product if valid: from the cache when the file's
    bytes are there, else parsed, merged with the defaults and validated (and cached if all valid)."""
    raw = _read(path, display, out, digest)
    if raw is None:
        return []
    sha = hashlib.sha256(raw).hexdigest()
    cached = ctx.cache.get(sha)
    if cached is not None:
        text = raw.decode("utf-8")
        loaded = []
        for i, c in enumerate(cached):
            doc = Document(display, c.data, text=text, index=i)
            doc.hints[("metadata", "name")] = Pos(display, c.name_line, c.name_col)
            carry_positions(doc, ctx.fleet_doc, c.added)
            loaded.append((doc, c.product))
        return loaded
    loaded, added = [], []
    for doc in _parse(raw, display, out):
        merged: tuple = ()
        if isinstance(doc.data, dict):
            merged = _merge_company_defaults(doc, ctx.fleet_doc) + _merge_defaults(
                doc, ctx.fleet_doc, ctx.defaults
            )
        added.append(merged)
        loaded.append((doc, _validate(doc, "Product", Product, out)))
    if loaded and all(p is not None and d.lazy and ("metadata", "name") in d.hints for d, p in loaded):
        docs = []
        for (d, p), a in zip(loaded, added, strict=True):
            pos = d.hints[("metadata", "name")]
            docs.append(CachedDoc(d.data, pos.line, pos.col, p, a))  # type: ignore[arg-type]
        ctx.cache.put(sha, docs)
    return loaded


@dataclass
class _ProductContext:
    """What loading one product file needs besides the file: the defaults and the cache."""

    fleet_doc: Document | None
    defaults: dict[str, Any]
    cache: LoadCache


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC while building ~10 objects per product (its pauses grow with what is alive)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_fleet(root: Path | str, hooks: LoadHooks) -> tuple[DesiredState | None, list[Diagnostic]]:
    """Load and validate the fleet repo at ``root``. Returns the state (None on any error) and diagnostics.

    Product files whose bytes were validated before come from the state directory's cache
    (``kinds/cache.py``); the rest are parsed by libyaml without positions, which are computed (by
    re-parsing that one file) only where a diagnostic needs one.
    """
    with _gc_paused():
        return _load_fleet(Path(root), hooks)


def _load_fleet(root: Path, hooks: LoadHooks) -> tuple[DesiredState | None, list[Diagnostic]]:
    out = _Collector()
    digest = hashlib.sha256()

    def show(p: Path) -> str:
        return str(root / p.relative_to(root))

    fleet, fleet_doc = _one_doc(root / FLEET_FILE, show(root / FLEET_FILE), "Fleet", Fleet, out, digest)
    constitution, constitution_doc = _one_doc(
        root / CONSTITUTION_FILE, show(root / CONSTITUTION_FILE), "Constitution", Constitution, out, digest
    )

    # Raw defaults even when the Fleet itself is invalid, so product errors are still all reported.
    defaults = _get(fleet_doc.data, "spec", "defaults") if fleet_doc is not None else None
    defaults = defaults if isinstance(defaults, dict) else {}
    companies = _get(fleet_doc.data, "spec", "companies") if fleet_doc is not None else None
    ctx = _ProductContext(
        fleet_doc, defaults, LoadCache(root / STATE_DIR, {"fleet": defaults, "companies": companies})
    )
    entries: dict[str, ProductEntry] = {}
    raw: dict[str, Document] = {}  # first product document per name, valid or not
    named: list[tuple[str, Document]] = []  # every product document that names itself
    for path, display in _product_files(root):
        for doc, product in _load_product_file(path, display, ctx, out, digest):
            name = _get(doc.data, "metadata", "name")
            if not isinstance(name, str):
                continue
            named.append((name, doc))
            if name in raw:
                first = raw[name].value_pos(("metadata", "name"))
                out.at(
                    doc.value_pos(("metadata", "name")),
                    f"metadata.name: duplicate product {name!r} "
                    f"(also defined at {first.file}:{first.line}:{first.col})",
                )
                continue
            raw[name] = doc
            if product is not None:
                entries[name] = ProductEntry(product, display, doc.value_pos(("metadata", "name")))

    _check_references(fleet, raw, named, out)
    _check_constitution(constitution_doc, out, hooks.check_condition)
    overlays = _load_overlays(root, show, fleet_doc, constitution_doc, out, digest, hooks.check_condition)

    diags = sorted(out.diags)
    if diags or fleet is None or constitution is None:
        return None, diags  # nothing written: a fleet that does not load leaves no state behind
    ctx.cache.save()
    state = DesiredState(
        root=root.resolve(),
        revision=hooks.revision(root, (), WATCHED),
        digest=digest.hexdigest(),
        fleet=fleet,
        constitution=constitution,
        entries=dict(sorted(entries.items())),
        constitution_revision=hooks.revision(root, (CONSTITUTION_FILE, OVERLAY_DIR), WATCHED),
        overlays=overlays,
    )
    return state, []


def _load_overlays(
    root: Path,
    show: Callable[[Path], str],
    fleet_doc: Document | None,
    constitution_doc: Document | None,
    out: _Collector,
    digest: Any,
    check_condition: Callable[[str], str | None],
) -> dict[str, tuple[Rule, ...]]:
    """The companies' constitution overlays (``kinds.overlays``), each scoped to its company; every
    loosening, unknown company or invalid rule is a diagnostic."""
    companies = _list(_get(fleet_doc.data, "spec", "companies")) if fleet_doc is not None else []
    declared = {c.get("name") for c in companies if isinstance(c, dict)}
    fleet_ids = (
        {r.get("id") for r in _list(_get(constitution_doc.data, "spec", "rules")) if isinstance(r, dict)}
        if constitution_doc is not None
        else set()
    )
    result: dict[str, tuple[Rule, ...]] = {}
    for path in overlay_files(root):
        company, display = path.stem, show(path)
        overlay, doc = _one_doc(path, display, "Constitution", Constitution, out, digest)
        if doc is None:
            continue
        if company not in declared:
            out.at(
                doc.start, f"{OVERLAY_DIR}/{path.name}: no company {company!r} in fleet.yaml spec.companies"
            )
        _check_constitution(doc, out, check_condition)
        for pos, message in loosenings(doc, company, fleet_ids):
            out.at(pos, message)
        if overlay is not None:
            result[company] = scoped(overlay.spec.rules, company)
    return result


def _check_constitution(
    doc: Document | None, out: _Collector, check_condition: Callable[[str], str | None]
) -> None:
    """What the models cannot see alone: CEL conditions compile to bools, rule ids are unique.

    Checked on the raw data, so these are reported even when another field of the document is invalid.
    """
    if doc is None:
        return
    seen: set[str] = set()
    for i, rule in enumerate(_list(_get(doc.data, "spec", "rules"))):
        for effect in ("deny", "hold"):
            when = _get(rule, effect, "when")
            problem = check_condition(when) if isinstance(when, str) and when else None
            if problem:
                where = doc.value_pos(("spec", "rules", i, effect, "when"))
                out.at(where, f"spec.rules[{i}].{effect}.when: {problem}")
        rule_id = _get(rule, "id")
        if isinstance(rule_id, str) and rule_id in seen:
            out.at(
                doc.value_pos(("spec", "rules", i, "id")),
                f"spec.rules[{i}].id: duplicate rule id {rule_id!r}",
            )
        seen.add(rule_id)


def load_constitution(
    path: Path, check_condition: Callable[[str], str | None]
) -> tuple[Constitution | None, list[Diagnostic]]:
    """One constitution file on its own (policy tests), with the same diagnostics as in a fleet."""
    out = _Collector()
    constitution, doc = _one_doc(path, str(path), "Constitution", Constitution, out, hashlib.sha256())
    _check_constitution(doc, out, check_condition)
    diags = sorted(out.diags)
    return (None if diags else constitution), diags


def load_overlay(
    path: Path, fleet_rule_ids: set[str], check_condition: Callable[[str], str | None]
) -> tuple[tuple[Rule, ...] | None, list[Diagnostic]]:
    """One company overlay on its own (policy tests): ``<company>.yaml`` with the same diagnostics as in
    a fleet (loosenings included), its rules scoped to the company named by the file's stem."""
    out = _Collector()
    overlay, doc = _one_doc(path, str(path), "Constitution", Constitution, out, hashlib.sha256())
    _check_constitution(doc, out, check_condition)
    if doc is not None:
        for pos, message in loosenings(doc, path.stem, fleet_rule_ids):
            out.at(pos, message)
    diags = sorted(out.diags)
    return (None if diags or overlay is None else scoped(overlay.spec.rules, path.stem)), diags


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _check_channels(fleet: Fleet | None, doc: Document, out: _Collector) -> None:
    """A product's announce channels must be declared in the Fleet's spec.announce.channels."""
    if not isinstance(fleet, Fleet):
        return
    for i, channel in enumerate(_list(_get(doc.data, "spec", "announce", "channels"))):
        if isinstance(channel, str) and channel not in fleet.spec.announce.channels:
            out.at(
                doc.value_pos(("spec", "announce", "channels", i)),
                f"spec.announce.channels[{i}]: channel {channel!r} is not declared in the Fleet's "
                "spec.announce.channels",
            )


def _check_references(
    fleet: Fleet | None, raw: dict[str, Document], named: list[tuple[str, Document]], out: _Collector
) -> None:
    """Cross-document rules, checked on the raw data so an invalid field elsewhere hides nothing."""
    registries = set(fleet.spec.registries) if isinstance(fleet, Fleet) else None
    companies = {c.name for c in fleet.spec.companies} if isinstance(fleet, Fleet) else None
    edges: dict[str, dict[str, int]] = {}  # name -> dependency -> index in dependsOn (a DiGraph's adjacency)
    for name, doc in named:
        edges.setdefault(name, {})
        company = _get(doc.data, "metadata", "company")
        if companies is not None and isinstance(company, str) and company not in companies:
            out.at(
                doc.value_pos(("metadata", "company")),
                f"metadata.company: company {company!r} is not declared in the Fleet's spec.companies",
            )
        for i, dep in enumerate(_list(_get(doc.data, "spec", "dependsOn"))):
            if not isinstance(dep, str):
                continue
            if dep not in raw:
                out.at(
                    doc.value_pos(("spec", "dependsOn", i)), f"spec.dependsOn[{i}]: unknown product {dep!r}"
                )
            elif raw[name] is doc:
                edges[name][dep] = i
                edges.setdefault(dep, {})
        for i, pub in enumerate(_list(_get(doc.data, "spec", "release", "publish"))):
            registry = _get(pub, "registry")
            if registries is not None and isinstance(registry, str) and registry not in registries:
                out.at(
                    doc.value_pos(("spec", "release", "publish", i, "registry")),
                    f"spec.release.publish[{i}].registry: registry {registry!r} is not declared in the "
                    "Fleet's spec.registries",
                )
        _check_channels(fleet, doc, out)
        build = _get(doc.data, "spec", "build")
        if isinstance(fleet, Fleet) and isinstance(build, dict):
            ci = build.get("ci") or fleet.spec.ci.default
            problems = []
            if ci == CIKind.LOCAL and not build.get("command"):
                problems.append("spec.build: local CI needs `command`")
            if ci == CIKind.JENKINS and fleet.spec.ci.jenkins is None:
                problems.append("spec.build: ci is jenkins but the Fleet has no spec.ci.jenkins")
            if problems:
                where = doc.key_pos(("spec", "build"))
                if where.file != doc.file:  # the whole build section came from the Fleet's defaults
                    where = doc.value_pos(("metadata", "name"))
                for problem in problems:
                    out.at(where, problem)

    if _acyclic(edges):
        return
    graph = nx.DiGraph()
    for name, deps in edges.items():
        graph.add_node(name)
        graph.add_edges_from((name, dep, {"index": i}) for dep, i in deps.items())
    for cycle in nx.simple_cycles(graph):
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        first, second = cycle[0], cycle[1 % len(cycle)]
        index = graph.edges[first, second]["index"]
        path = " -> ".join([*cycle, cycle[0]])
        out.at(
            raw[first].value_pos(("spec", "dependsOn", index)), f"spec.dependsOn: dependency cycle: {path}"
        )


def _acyclic(edges: Mapping[str, Mapping[str, int]]) -> bool:
    """Whether the graph has no cycle (Kahn's algorithm, linear; networkx finds the cycles when not)."""
    indegree = dict.fromkeys(edges, 0)
    for deps in edges.values():
        for dep in deps:
            indegree[dep] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for dep in edges[node]:
            indegree[dep] -= 1
            if indegree[dep] == 0:
                ready.append(dep)
    return seen == len(indegree)
