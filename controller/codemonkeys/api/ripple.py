"""The ripple of a release through the fleet (``cmctl fleet ripple PRODUCT [VERSION]``): which products'
manifests would exclude a release of ``PRODUCT`` at ``VERSION``, in waves, each with the ranges it takes,
whether it follows by itself (``spec.dependencies.update.policy``) or why not, the patch it then releases
(which may ripple further), and how long its part is expected to take.

The waves come from the pure core (``vocab.updates.ripple``); this module gathers what it reads: who
publishes which package (``facets.release.plugin.published``), every product's manifests (git facts), the
versions each product has published (its registries, as the release facet observes them) and each
product's policy (``facets.change.plugin.policy``). ``observe_ripple`` observes only those facts, with the
fleet's ``Observer`` (git facts are reused while a repository's refs stand); ``ripple_report`` is pure
over them. A suspended product (``spec.suspend``, ``cmctl suspend``) never follows: the ripple stops there.

Durations (``predict_ripple``): the duration model of the recorded history (``swarm.predict``, as
``engine.durations`` fits it) gives each following product's part: its update proven by its CI
(``change.propose``, else a ``build.run`` of the product: the product's own runs before the fleet's),
then ``release.cut`` and one ``release.publish`` when it releases (the publishes to several registries run
side by side). A product starts once the releases it takes are published; the ripple's total is the
longest such path. The rounds of a controller between the steps and the gate's holds are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, Field

from codemonkeys.api.values import ApiError, unknown_products
from codemonkeys.context import Context
from codemonkeys.facets import FACETS
from codemonkeys.facets.change.plugin import policy
from codemonkeys.facets.release.plugin import published, published_versions
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import Product
from codemonkeys.observe import Observer
from codemonkeys.store.db import Store
from codemonkeys.swarm.predict import Estimate
from codemonkeys.vocab.enums import UpdatePolicy, Versioning
from codemonkeys.vocab.facts import GitFacts, ProductFacts, Unknown
from codemonkeys.vocab.plan import FacetName
from codemonkeys.vocab.updates import Step, newest, ripple, stable

FORMAT = "codemonkeys.ripple/v1"
PROPOSE, BUILD, CUT, PUBLISH = "change.propose", "build.run", "release.cut", "release.publish"


class RippleEdit(BaseModel):
    """One manifest's range of the package, and the range that takes the new version."""

    manifest: str
    old: str = Field(serialization_alias="from")
    new: str = Field(serialization_alias="to")


class RippleUpdate(BaseModel):
    """A fleet package a product takes at a new version: how far it is, and each manifest's edit."""

    package: str
    ecosystem: str
    version: str
    level: str  # patch | minor | major
    dependency: str  # the product that publishes the package
    manifests: list[RippleEdit]


class RippleStep(BaseModel):
    """One product the release reaches: its wave (1: right after the root's release), what it takes,
    whether it follows by itself (``blocked`` says why not), the version it then releases and its
    predicted part (seconds per action kind, their sum, and when it ends from the root's release)."""

    product: str
    wave: int
    policy: str
    updates: list[RippleUpdate]
    follows: bool
    blocked: str = ""
    releases: str | None = None
    predicted_s: float | None = None
    predicted: dict[str, float] = Field(default_factory=dict)
    predicted_basis: dict[str, str] = Field(default_factory=dict)  # kind -> product | fleet
    ends_s: float | None = None  # the longest path from the root's release to this step's end


class Ripple(BaseModel):
    """A release of ``root`` at ``version`` and the products it reaches, wave by wave (products it does
    not reach are not listed); ``unread``: products whose git or registries could not be read (the ripple
    may miss them, or misjudge how far an update is)."""

    format: str = FORMAT
    root: str
    ecosystem: str
    packages: list[str]
    version: str
    version_from: str  # given | next version | newest published | pinned version
    steps: list[RippleStep] = Field(default_factory=list)
    bumped: int = 0  # steps that follow by themselves
    blocked: int = 0
    waves: int = 0  # the last wave a following product is in
    predicted_s: float | None = None  # the longest path, when every following step is predicted
    unpredicted: int = 0  # following steps without a prediction
    unread: dict[str, str] = Field(default_factory=dict)

    def document(self) -> dict:
        """The JSON document (``-o json``): ranges as ``from`` / ``to``."""
        return self.model_dump(mode="json", by_alias=True)


# --- observing ---------------------------------------------------------------------------------------


def observe_ripple(
    desired: DesiredState, store: Store, context: Context, root: str, workers: int = 8
) -> dict[str, ProductFacts]:
    """What a ripple of ``root`` reads, observed now by the fleet's ``Observer``: every product's git
    facts (the requirements its manifests declare), and the registries of ``root`` and of each product
    that publishes and requires a fleet package (what they have released), through the release facet's
    observer. A product whose git cannot be read has an ``Unknown`` git."""
    release = next(f for f in FACETS.facets if f.name == FacetName.RELEASE)
    assert release.observer is not None
    read_registries = release.observer.load()
    names = sorted(desired.products)
    observer = Observer(desired, store, context, workers=workers)
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(names)))) as pool:
            gits = dict(
                zip(names, pool.map(lambda n: observer.observe_git(n, api=False), names), strict=True)
            )
            observer.gits.update(gits)
            wanted = [
                n
                for n in names
                if published(n, desired.products[n]) is not None
                and (n == root or (isinstance(gits[n], GitFacts) and gits[n].requires))
            ]
            found = pool.map(lambda n: read_registries(observer, n, gits[n]), wanted)
            registries = dict(zip(wanted, found, strict=True))
    finally:
        observer.http.close()
    return {n: ProductFacts(git=gits[n], registries=registries.get(n, {})) for n in names}


# --- the ripple (pure over the facts) ----------------------------------------------------------------


def _versions(product: Product, facts: ProductFacts | None) -> list[list[str]]:
    """The versions each registry ``product`` publishes to has (registries that could not be read left
    out)."""
    return published_versions(product, facts)[0]


def _parsed(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def _current(product: Product, facts: ProductFacts | None) -> str | None:
    """The version a product's next patch follows: the newer of its last tag and the newest version its
    registries all have; None for a product that releases nothing by itself (no ``release``, or a pinned
    version, which only a change of ``release.version`` moves)."""
    rel = product.spec.release
    if rel is None or rel.versioning is Versioning.PINNED or facts is None:
        return None
    known = [newest(_versions(product, facts))]
    if isinstance(facts.git, GitFacts):
        known.append(facts.git.last_version)
    found = [(v, parsed) for v in known if v and (parsed := _parsed(v)) is not None]
    return max(found, key=lambda pair: pair[1])[0] if found else None


def _root_version(
    name: str, product: Product, facts: ProductFacts | None, given: str | None
) -> tuple[str, str]:
    """The version the root releases and where it comes from (``ApiError`` when none can be told)."""
    if given is not None:
        if _parsed(given) is None:
            raise ApiError(f"{given!r} is not a version (e.g. 2.0.0)")
        return given, "given"
    rel = product.spec.release
    if rel is not None and rel.versioning is Versioning.PINNED and rel.version:
        return rel.version, "pinned version"
    git = facts.git if facts is not None else Unknown(error="not observed")
    if isinstance(git, GitFacts) and git.next_version:
        return git.next_version, "next version"
    top = newest(_versions(product, facts))
    if top is not None:
        return top, "newest published"
    why = f"its git cannot be read ({git.error})" if isinstance(git, Unknown) else "nothing releasable"
    raise ApiError(
        f"cannot tell which version of {name} to ripple: {why} and no published version; "
        f"give one (cmctl fleet ripple {name} VERSION)"
    )


def _step(s: Step, policies: Mapping[str, UpdatePolicy]) -> RippleStep:
    updates = [
        RippleUpdate(
            package=u.package,
            ecosystem=str(u.ecosystem),
            version=u.version,
            level=u.level,
            dependency=u.dependency,
            manifests=[RippleEdit(manifest=m, old=old, new=new) for m, old, new in u.edits],
        )
        for u in s.updates
    ]
    follows = not s.blocked
    return RippleStep(
        product=s.product,
        wave=s.wave,
        policy=str(policies.get(s.product, UpdatePolicy.NONE)),
        updates=updates,
        follows=follows,
        blocked=s.blocked,
        releases=s.releases if follows else None,
    )


def ripple_report(
    desired: DesiredState,
    observed: Mapping[str, ProductFacts],
    root: str,
    version: str | None = None,
    suspended: Iterable[str] = (),
) -> Ripple:
    """The ripple of a release of ``root`` (at ``version``; default: its next version from git, else its
    newest published one) over the fleet's ``observed`` facts: the products it reaches, by wave (see the
    module docstring). ``suspended``: products that never follow (the ripple stops there). ``ApiError``
    for an unknown root, one that publishes no package, or one whose version cannot be told."""
    products = desired.products
    if root not in products:
        raise unknown_products([root], products)
    pub = published(root, products[root])
    if pub is None:
        raise ApiError(
            f"{root} publishes no package another product's manifest could name "
            "(it needs spec.release.publish, in a language with a package ecosystem): nothing ripples"
        )
    chosen, source = _root_version(root, products[root], observed.get(root), version)
    requires, publishes, policies, current, versions = {}, {}, {}, {}, {}
    unread: dict[str, str] = {}
    paused = set(suspended) | {n for n, p in products.items() if p.spec.suspend}
    for name, product in products.items():
        facts = observed.get(name)
        if facts is None or isinstance(facts.git, Unknown):
            unread[name] = "not observed" if facts is None else str(getattr(facts.git, "error", ""))
            continue
        for registry, got in sorted(facts.registries.items()):
            if isinstance(got, Unknown):  # its published versions are partly unknown
                unread.setdefault(name, f"registry {registry}: {got.error}")
        requires[name] = facts.git.requires
        policies[name] = UpdatePolicy.NONE if name in paused else policy(product)
        current[name] = _current(product, facts)
        versions[name] = stable([v for vs in _versions(product, facts) for v in vs])
        if (p := published(name, product)) is not None:
            publishes[name] = (p.ecosystem, p.packages)
    publishes[root] = (pub.ecosystem, pub.packages)
    steps = [
        _step(s, policies) for s in ripple(root, chosen, requires, publishes, policies, current, versions)
    ]
    for s in steps:
        if s.product in paused:
            s.policy, s.blocked = str(policy(products[s.product])), "suspended: it never acts by itself"
    return _counted(
        Ripple(
            root=root,
            ecosystem=str(pub.ecosystem),
            packages=sorted(pub.packages),
            version=chosen,
            version_from=source,
            steps=steps,
            unread=unread,
        )
    )


def _counted(r: Ripple) -> Ripple:
    """``r`` with its counts: steps that follow, blocked ones, the last wave of a following one."""
    following = [s for s in r.steps if s.follows]
    r.bumped, r.blocked = len(following), len(r.steps) - len(following)
    r.waves = max((s.wave for s in following), default=0)
    r.unpredicted = sum(1 for s in following if s.predicted_s is None)
    return r


# --- durations ---------------------------------------------------------------------------------------


def predict_ripple(r: Ripple, estimate: Callable[[str, str], Estimate], desired: DesiredState) -> Ripple:
    """``r`` with each following step's predicted part and the longest path (see the module docstring).
    ``estimate(product, kind)``: the duration model's estimate of the product's next action of the kind."""
    ends: dict[str, float | None] = {r.root: 0.0}
    for s in r.steps:  # in wave order: what a step waits for comes before it
        if not s.follows:
            continue
        kinds = [(PROPOSE, BUILD)]
        if s.releases is not None:
            kinds.append((CUT,))
            if published(s.product, desired.products[s.product]) is not None:
                kinds.append((PUBLISH,))
        for choices in kinds:
            known = [(k, e) for k in choices if (e := estimate(s.product, k)).seconds is not None]
            # the product's own runs of either kind first (its build is most of a proposal), then the fleet's
            pick = next((p for p in known if p[1].basis == "product"), known[0] if known else None)
            if pick is not None:
                s.predicted[pick[0]], s.predicted_basis[pick[0]] = (
                    round(pick[1].seconds or 0.0, 3),
                    pick[1].basis,
                )
        if len(s.predicted) == len(kinds):
            s.predicted_s = round(sum(s.predicted.values()), 3)
            starts = [ends.get(u.dependency) for u in s.updates]
            if all(x is not None for x in starts):
                s.ends_s = round(max((x or 0.0 for x in starts), default=0.0) + s.predicted_s, 3)
        ends[s.product] = s.ends_s
    following = [s for s in r.steps if s.follows]
    if following and all(s.ends_s is not None for s in following):
        r.predicted_s = max(s.ends_s or 0.0 for s in following)
    return _counted(r)


__all__ = [
    "FORMAT",
    "Ripple",
    "RippleEdit",
    "RippleStep",
    "RippleUpdate",
    "observe_ripple",
    "predict_ripple",
    "ripple_report",
]
