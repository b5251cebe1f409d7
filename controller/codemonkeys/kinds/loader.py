"""Load a fleet repo into a validated ``DesiredState``, reporting every problem as ``FILE:LINE:COL``.

Layout: ``fleet.yaml`` (one Fleet), ``constitution.yaml`` (one Constitution), ``products/**/*.yaml``
(one or more Product documents each). The loader never stops at the first problem: it checks syntax,
envelopes and fields of every document, then the cross-document rules (duplicate names, unknown
``dependsOn`` targets, cycles, undeclared registries and companies). Position of a problem is the
offending key or value; values merged in from ``Fleet.spec.defaults`` point into ``fleet.yaml``.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from stat import S_ISREG
from typing import Any

from pydantic import ValidationError

from codemonkeys.kinds.cache import LoadCache, Refs
from codemonkeys.kinds.models import API_VERSION, CIKind, Constitution, Fleet, Model, Product, Rule
from codemonkeys.kinds.overlays import OVERLAY_DIR, loosenings, overlay_files, scoped
from codemonkeys.kinds.yamlpos import Document, Pos, dotted, load_yaml, load_yaml_fast
from codemonkeys.vocab.diagnostics import Diagnostic
from codemonkeys.vocab.gcpause import gc_paused
from codemonkeys.vocab.names import did_you_mean

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
    # what the Product is a function of: the file's bytes, the document's index, the defaults merged in
    # and the models' code (hashed); cached drafts are keyed by it (``plan/drafts.py``)
    source: str = ""


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

    @cached_property
    def ci_kinds(self) -> dict[str, CIKind]:
        """Product name -> the CI that builds it (``ci_kind``), computed once per loaded fleet."""
        return {name: self.ci_kind(name) for name in self.entries}

    @cached_property
    def sources(self) -> dict[str, str]:
        """Product name -> the content key of its document (``ProductEntry.source``), where known."""
        return {name: e.source for name, e in self.entries.items() if e.source}

    @cached_property
    def dependents(self) -> dict[str, tuple[str, ...]]:
        """Product name -> the products that ``dependsOn`` it directly, sorted."""
        out: dict[str, list[str]] = {}
        for name in sorted(self.entries):
            for dep in self.entries[name].product.spec.depends_on:
                out.setdefault(dep, []).append(name)
        return {dep: tuple(names) for dep, names in out.items()}

    @cached_property
    def releasing(self) -> tuple[str, ...]:
        """The products that declare ``release``, sorted."""
        return tuple(sorted(n for n, e in self.entries.items() if e.product.spec.release is not None))

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


def _untagged(data: Any, loc: tuple) -> tuple:
    """``loc`` without the tags pydantic puts in for a discriminated union (``channels.chat.webhook.url``
    -> ``channels.chat.url``: ``webhook`` is the channel's ``type``), so that positions and messages name
    the fields as the YAML spells them."""
    out: list = []
    for i, part in enumerate(loc):
        inside = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if inside or (isinstance(data, dict) and part in data):
            data = data[part]
        elif isinstance(data, dict) and isinstance(part, str) and data.get("type") == part:
            continue
        else:
            return (*out, *loc[i:])
        out.append(part)
    return tuple(out)


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
            loc = _untagged(
                data,
                tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("[", "function-")))),
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
    digest.update(display.encode() + b"\0" + hashlib.sha256(raw).hexdigest().encode() + b"\0")
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
    # ``revisions(root, groups, watched)``: ``revision`` of several path groups at once (one status);
    # used instead of ``revision`` when set (who replaces ``revision`` sets it to None)
    revisions: Callable[[Path, Sequence[Sequence[str]], Sequence[str]], list[str]] | None = None


WATCHED = (FLEET_FILE, CONSTITUTION_FILE, PRODUCTS_DIR, OVERLAY_DIR)


def _product_files(root: Path) -> list[tuple[str, os.stat_result | None]]:
    """``products/**/*.yaml`` and ``*.yml`` (as ``Path.glob`` finds them: not through symlinked
    directories), sorted like paths, each with its stat (None if it cannot be read): one ``scandir`` per
    directory, one ``stat`` per file."""
    found: list[tuple[tuple[str, ...], str, os.stat_result | None]] = []

    def walk(directory: str, parts: tuple[str, ...]) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if name.endswith((".yaml", ".yml")):
                try:
                    st: os.stat_result | None = entry.stat()
                except OSError:
                    st = None
                found.append(((*parts, name), entry.path, st))
            try:
                if entry.is_dir() and not entry.is_symlink():
                    walk(entry.path, (*parts, name))
            except OSError:  # pragma: no cover - vanished meanwhile
                continue

    walk(str(root / PRODUCTS_DIR), ())
    found.sort(key=lambda f: f[0])
    return [(path, st) for _, path, st in found]


def _load_product_file(
    path: str, st: os.stat_result | None, ctx: _ProductContext, out: _Collector, digest: Any
) -> list[tuple[Document, Product | None, Refs]]:
    """One product file's documents, each with its Product if valid and what the cross-document checks
    read: from the cache when the file's stat or bytes are there (the file is not read when its stat is
    the one recorded), else parsed, merged with the defaults and validated (and cached if all valid)."""
    sha = ctx.cache.known(path, st) if st is not None and S_ISREG(st.st_mode) else None
    cached = ctx.cache.get(sha) if sha is not None else None
    text: Any = None
    if cached is None:
        raw = _read(path, path, out, digest)
        if raw is None:
            return []
        sha = hashlib.sha256(raw).hexdigest()
        ctx.cache.saw(path, st, sha)
        cached = ctx.cache.get(sha)
        if cached is None:
            return _validate_product_file(raw, path, sha, ctx, out)
        text = raw.decode("utf-8")
    else:
        digest.update(path.encode() + b"\0" + sha.encode() + b"\0")
        ctx.cache.saw(path, st, sha)
        text = _Source(path)
    loaded = []
    for i, (name, line, col, product_json, added, refs) in enumerate(cached):
        product = Product.model_validate_json(product_json)  # pydantic-core: faster than unpickling
        doc = Document(path, _CACHED, text=text, index=i)
        doc.hints[("metadata", "name")] = Pos(path, line, col)
        carry_positions(doc, ctx.fleet_doc, added)
        doc.name = name  # type: ignore[attr-defined]
        doc.source = _source_key(ctx.cache.key, sha, i)  # type: ignore[attr-defined]
        loaded.append((doc, product, Refs(*refs)))
    return loaded


def _source_key(cache_key: str, sha: str, index: int) -> str:
    """``ProductEntry.source`` of the ``index``-th document of a file whose bytes hash to ``sha``."""
    return hashlib.sha256(f"{cache_key}:{sha}:{index}".encode()).hexdigest()[:32]


_CACHED: dict = {}  # the data of a document from the cache: never read (names and refs are cached)


class _Source:
    """The text of a file not read because the cache knew it: read when a diagnostic needs positions."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self) -> str:
        with open(self.path, encoding="utf-8") as fh:
            return fh.read()


def _refs(data: Any) -> Refs:
    """What the cross-document checks read of one document's raw data."""
    spec = data.get("spec") if isinstance(data, dict) else None
    spec = spec if isinstance(spec, dict) else {}
    build = spec.get("build")
    return Refs(
        _get(data, "metadata", "company"),
        tuple(_list(spec.get("dependsOn"))),
        tuple(_get(pub, "registry") for pub in _list(_get(spec, "release", "publish"))),
        tuple(_list(_get(spec, "announce", "channels"))),
        (build.get("ci"), bool(build.get("command"))) if isinstance(build, dict) else None,
    )


def _validate_product_file(
    raw: bytes, path: str, sha: str, ctx: _ProductContext, out: _Collector
) -> list[tuple[Document, Product | None, Refs]]:
    loaded, added = [], []
    for doc in _parse(raw, path, out):
        merged: tuple = ()
        if isinstance(doc.data, dict):
            merged = _merge_company_defaults(doc, ctx.fleet_doc) + _merge_defaults(
                doc, ctx.fleet_doc, ctx.defaults
            )
        added.append(merged)
        name = _get(doc.data, "metadata", "name")
        doc.name = name if isinstance(name, str) else None  # type: ignore[attr-defined]
        doc.source = _source_key(ctx.cache.key, sha, len(loaded))  # type: ignore[attr-defined]
        loaded.append((doc, _validate(doc, "Product", Product, out), _refs(doc.data)))
    if loaded and all(p is not None and d.lazy and ("metadata", "name") in d.hints for d, p, _ in loaded):
        docs = []
        for (d, p, r), a in zip(loaded, added, strict=True):
            pos = d.hints[("metadata", "name")]
            product_json = p.model_dump_json(by_alias=True, round_trip=True)  # type: ignore[union-attr]
            docs.append((d.name, pos.line, pos.col, product_json, a, tuple(r)))  # type: ignore[arg-type]
        ctx.cache.put(sha, docs)
    return loaded


@dataclass
class _ProductContext:
    """What loading one product file needs besides the file: the defaults and the cache."""

    fleet_doc: Document | None
    defaults: dict[str, Any]
    cache: LoadCache


def load_fleet(root: Path | str, hooks: LoadHooks) -> tuple[DesiredState | None, list[Diagnostic]]:
    """Load and validate the fleet repo at ``root``. Returns the state (None on any error) and diagnostics.

    Product files whose bytes were validated before come from the state directory's cache
    (``kinds/cache.py``); the rest are parsed by libyaml without positions, which are computed (by
    re-parsing that one file) only where a diagnostic needs one.
    """
    with gc_paused():
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
    named: list[tuple[str, Document, Refs]] = []  # every product document that names itself
    unreadable: set[str] = set()  # stems of product files that did not parse (reported already)
    for path, st in _product_files(root):
        reported = len(out.diags)
        loaded = _load_product_file(path, st, ctx, out, digest)
        if not loaded and len(out.diags) > reported:
            unreadable.add(Path(path).stem)
        for doc, product, refs in loaded:
            name = doc.name  # type: ignore[attr-defined]
            if name is None:
                continue
            named.append((name, doc, refs))
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
                pos = doc.value_pos(("metadata", "name"))
                entries[name] = ProductEntry(product, path, pos, doc.source)  # type: ignore[attr-defined]

    _check_references(fleet, raw, named, out, unreadable)
    _check_company_credentials(fleet, fleet_doc, out)
    _check_constitution(constitution_doc, out, hooks.check_condition)
    overlays = _load_overlays(root, show, fleet_doc, constitution_doc, out, digest, hooks.check_condition)

    diags = sorted(out.diags)
    if diags or fleet is None or constitution is None:
        return None, diags  # nothing written: a fleet that does not load leaves no state behind
    ctx.cache.save()
    groups: list[tuple[str, ...]] = [(), (CONSTITUTION_FILE, OVERLAY_DIR)]
    if hooks.revisions is not None:
        revision, constitution_revision = hooks.revisions(root, groups, WATCHED)
    else:
        revision, constitution_revision = (hooks.revision(root, g, WATCHED) for g in groups)
    state = DesiredState(
        root=root.resolve(),
        revision=revision,
        digest=digest.hexdigest(),
        fleet=fleet,
        constitution=constitution,
        entries=dict(sorted(entries.items())),
        constitution_revision=constitution_revision,
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


def _check_company_credentials(fleet: Fleet | None, fleet_doc: Document | None, out: _Collector) -> None:
    """Every registry a company gives credentials for is one of the Fleet's ``spec.registries``."""
    if not isinstance(fleet, Fleet) or fleet_doc is None:
        return
    for i, company in enumerate(fleet.spec.companies):
        for name in company.credentials.registries if company.credentials is not None else ():
            if name not in fleet.spec.registries:
                out.at(
                    fleet_doc.key_pos(("spec", "companies", i, "credentials", "registries", name)),
                    f"spec.companies[{i}].credentials.registries: registry {name!r} is not declared in "
                    "the Fleet's spec.registries",
                )


def _check_references(
    fleet: Fleet | None,
    raw: dict[str, Document],
    named: list[tuple[str, Document, Refs]],
    out: _Collector,
    unreadable: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Cross-document rules, checked on the raw data (``Refs``) so an invalid field elsewhere hides
    nothing. A dependency named like a product file that did not parse (``unreadable``: its error is
    reported) is not reported again as unknown."""
    registries = set(fleet.spec.registries) if isinstance(fleet, Fleet) else None
    companies = {c.name for c in fleet.spec.companies} if isinstance(fleet, Fleet) else None
    channels = set(fleet.spec.announce.channels) if isinstance(fleet, Fleet) else None
    default_ci = fleet.spec.ci.default if isinstance(fleet, Fleet) else None
    has_jenkins = isinstance(fleet, Fleet) and fleet.spec.ci.jenkins is not None
    edges: dict[str, dict[str, int]] = {}  # name -> dependency -> index in dependsOn (a DiGraph's adjacency)
    for name, doc, refs in named:
        mine = edges.setdefault(name, {})
        company = refs.company
        if companies is not None and isinstance(company, str) and company not in companies:
            out.at(
                doc.value_pos(("metadata", "company")),
                f"metadata.company: company {company!r} is not declared in the Fleet's spec.companies",
            )
        first = raw[name] is doc
        for i, dep in enumerate(refs.depends_on):
            if not isinstance(dep, str):
                continue
            if dep not in raw and dep not in unreadable:
                out.at(
                    doc.value_pos(("spec", "dependsOn", i)),
                    f"spec.dependsOn[{i}]: unknown product {dep!r}{did_you_mean(dep, raw)}",
                )
            elif first:
                mine[dep] = i
                edges.setdefault(dep, {})
        if registries is not None:
            for i, registry in enumerate(refs.registries):
                if isinstance(registry, str) and registry not in registries:
                    out.at(
                        doc.value_pos(("spec", "release", "publish", i, "registry")),
                        f"spec.release.publish[{i}].registry: registry {registry!r} is not declared in "
                        f"the Fleet's spec.registries{did_you_mean(registry, registries)}",
                    )
        if channels is not None:
            for i, channel in enumerate(refs.channels):
                if isinstance(channel, str) and channel not in channels:
                    out.at(
                        doc.value_pos(("spec", "announce", "channels", i)),
                        f"spec.announce.channels[{i}]: channel {channel!r} is not declared in the Fleet's "
                        f"spec.announce.channels{did_you_mean(channel, channels)}",
                    )
        if isinstance(fleet, Fleet) and refs.build is not None:
            ci = refs.build[0] or default_ci
            problems = []
            if ci == CIKind.LOCAL and not refs.build[1]:
                problems.append("spec.build: local CI needs `command`")
            if ci == CIKind.JENKINS and not has_jenkins:
                problems.append("spec.build: ci is jenkins but the Fleet has no spec.ci.jenkins")
            if problems:
                where = doc.key_pos(("spec", "build"))
                if where.file != doc.file:  # the whole build section came from the Fleet's defaults
                    where = doc.value_pos(("metadata", "name"))
                for problem in problems:
                    out.at(where, problem)

    if _acyclic(edges):
        return
    import networkx as nx  # only to name the cycles (importing it costs a tenth of a second)

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
