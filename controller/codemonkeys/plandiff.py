"""Plan before merge (Atlantis style): what a change to the fleet repo would do, before it is merged.

``cmctl diff BASE [HEAD]`` loads the fleet repo at two git revisions without touching the working tree
(HEAD defaults to the working tree as it is), observes the products once, plans both sides with the same
observation and the same clock, and compares:

* the desired state: products added / removed / changed (dotted paths, old -> new), the Fleet's spec,
  the constitution's rules (added / removed / changed) and its other fields;
* the plans: actions that appear or disappear, verdicts that change (with the deciding rule), and facet
  states that change for products planned on both sides (``build: drift -> unknown``, and why).

Three parts, kept apart:

1. **load** (I/O, ``load_revision``): the fleet files at a commit are listed with ``git ls-tree`` and read
   in one ``git cat-file --batch`` into a temporary directory, loaded there with the usual loader, then
   rebound to the real fleet root (``dataclasses.replace``): ``DesiredState.root`` is what relative
   ``source.repo`` and registry paths, the state directory and the store resolve against, so a revision
   loaded from a copy resolves them exactly as the fleet at its real place does. The revision hooks answer
   from the commit (its id, the last commit touching ``constitution.yaml``), and diagnostics and product
   entries name files as the fleet directory does (``FLEET/products/x.yaml``), never the temporary copy.
   (The state's ``digest`` covers the copy's file names, so the plans' fingerprints are not the ones
   ``cmctl plan`` would make at that revision; a diff shows no fingerprint.)
2. **observe and plan** (I/O, ``plan_both``): a product whose observation inputs (its Product document,
   the Fleet's registries and CI) are the same on both sides is observed once and its facts shared; a
   product that exists on one side only, or whose inputs differ, is observed with that side's fleet. The
   plans use the fleet's store for the gate's budgets and approvals but record nothing (a diff is not a
   plan of record: ``cmctl status`` and the decision log stay as they were).
3. **diff and render** (pure, ``diff_plans``, ``render_text``, ``render_markdown``, ``to_json``).

The JSON document (``codemonkeys.plandiff/v1``), for bots::

    {"format": "codemonkeys.plandiff/v1", "changed": bool,
     "base": {"label", "revision", "summary"}, "head": {"label", "revision", "summary"},
     "products": {"added": [NAME], "removed": [NAME], "changed": [{"name", "fields": [FIELD]}]},
     "fleet": [FIELD],
     "constitution": {"fields": [FIELD], "rules": {"added": [RULE], "removed": [RULE],
                                                   "changed": [{"id", "fields": [FIELD]}]}},
     "actions": {"added": [ACTION], "removed": [ACTION]},
     "verdicts": [{"id", "product", "kind", "old": DECISION, "new": DECISION}],
     "facets": [{"product", "facet", "old", "new", "message"}]}

    FIELD    = {"path": "spec.build.timeout", "old": 1800, "new": 900}   (null: not set on that side)
    RULE     = {"id", "summary"}
    ACTION   = {"id", "product", "kind", "verdict", "rule", "message"}
    DECISION = {"verdict", "rule", "message"}

Every list is sorted (by name, id or path), so the same change gives the same document.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from codemonkeys import repos
from codemonkeys.context import Context
from codemonkeys.engine import open_store
from codemonkeys.engine.planning import approvals_on_record, desired_view, make_gate
from codemonkeys.kinds import loader
from codemonkeys.kinds.loader import WATCHED, DesiredState
from codemonkeys.load import HOOKS, load_fleet
from codemonkeys.observe import Observer
from codemonkeys.plan.planner import plan
from codemonkeys.store.db import Store
from codemonkeys.vocab.diagnostics import Diagnostic
from codemonkeys.vocab.facts import ProductFacts
from codemonkeys.vocab.plan import Action, Plan, Verdict

DIFF_FORMAT = "codemonkeys.plandiff/v1"
WORKING_TREE = "working tree"


class DiffFormat(StrEnum):
    """How ``cmctl diff`` prints: ``text`` for humans, ``markdown`` for a pull-request comment, ``json``
    for bots."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


# --- the diff as data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One desired-state value that differs: its dotted path, old and new (None: not set on that side)."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Named:
    """Something identified by a name or id, with its field changes (a changed product or rule)."""

    name: str
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class RuleRef:
    """A constitution rule added or removed: its id and a one-line summary of what it does."""

    id: str
    summary: str


@dataclass(frozen=True)
class DecisionRef:
    """A gate decision as the diff shows it: verdict, deciding rule, message."""

    verdict: Verdict
    rule: str | None
    message: str

    @classmethod
    def of(cls, action: Action) -> DecisionRef:
        """The decision on ``action``."""
        d = action.decision
        return cls(d.verdict, d.rule, d.message)


@dataclass(frozen=True)
class ActionRef:
    """An action that appears or disappears, with its decision."""

    id: str
    product: str
    kind: str
    decision: DecisionRef


@dataclass(frozen=True)
class VerdictChange:
    """An action planned on both sides whose verdict (or deciding rule) differs."""

    id: str
    product: str
    kind: str
    old: DecisionRef
    new: DecisionRef


@dataclass(frozen=True)
class FacetChange:
    """A facet of a product planned on both sides whose state differs (``drift -> unknown``), with the
    head side's message (why)."""

    product: str
    facet: str
    old: str
    new: str
    message: str


@dataclass(frozen=True)
class SideRef:
    """Which revision a side is (as asked, and its commit) and its plan's one-line summary."""

    label: str
    revision: str
    summary: str


@dataclass(frozen=True)
class PlanDiff:
    """Everything that differs between two revisions of a fleet, as planned with one observation."""

    base: SideRef
    head: SideRef
    products_added: tuple[str, ...] = ()
    products_removed: tuple[str, ...] = ()
    products_changed: tuple[Named, ...] = ()
    fleet: tuple[FieldChange, ...] = ()
    constitution: tuple[FieldChange, ...] = ()
    rules_added: tuple[RuleRef, ...] = ()
    rules_removed: tuple[RuleRef, ...] = ()
    rules_changed: tuple[Named, ...] = ()
    actions_added: tuple[ActionRef, ...] = ()
    actions_removed: tuple[ActionRef, ...] = ()
    verdicts: tuple[VerdictChange, ...] = ()
    facets: tuple[FacetChange, ...] = ()

    @property
    def has_changes(self) -> bool:
        """Whether anything differs (desired state or plan)."""
        return any(
            getattr(self, name)
            for name in (
                "products_added",
                "products_removed",
                "products_changed",
                "fleet",
                "constitution",
                "rules_added",
                "rules_removed",
                "rules_changed",
                "actions_added",
                "actions_removed",
                "verdicts",
                "facets",
            )
        )


@dataclass(frozen=True)
class Side:
    """One side as the pure diff sees it: the desired documents (plain JSON data) and the plan."""

    label: str
    revision: str
    products: Mapping[str, Any]  # name -> Product document (metadata and spec)
    fleet: Mapping[str, Any]  # the Fleet's spec
    constitution: Mapping[str, Any]  # the Constitution's spec
    plan: Plan


def side_of(label: str, desired: DesiredState, planned: Plan) -> Side:
    """A loaded revision and its plan as plain data for ``diff_plans``."""

    def doc(model: Any) -> Any:
        return model.model_dump(mode="json", by_alias=True, exclude_none=True)

    return Side(
        label=label,
        revision=desired.revision,
        products={
            n: {k: v for k, v in doc(p).items() if k in ("metadata", "spec")}
            for n, p in desired.products.items()
        },
        fleet=doc(desired.fleet.spec),
        constitution=doc(desired.constitution.spec),
        plan=planned,
    )


# --- the pure diff ---------------------------------------------------------------------------------


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """The leaves that differ between two JSON values, as dotted paths (``spec.release.publish[0].package``).

    Mappings are compared key by key and lists of mappings item by item; any other value (a scalar, a list
    of scalars such as ``dependsOn``) is one leaf. ``None`` stands for "not set".
    """
    if old == new:
        return []
    if _mapping_or_none(old) and _mapping_or_none(new):
        keys = sorted({*(old or {}), *(new or {})})
        return [
            c for k in keys for c in field_changes((old or {}).get(k), (new or {}).get(k), _join(path, k))
        ]
    if _records_or_none(old) and _records_or_none(new):
        old, new = old or [], new or []
        return [
            c
            for i in range(max(len(old), len(new)))
            for c in field_changes(
                old[i] if i < len(old) else None, new[i] if i < len(new) else None, f"{path}[{i}]"
            )
        ]
    return [FieldChange(path, old, new)]


def _mapping_or_none(value: Any) -> bool:
    return value is None or isinstance(value, Mapping)


def _records_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(v, Mapping) for v in value))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def rule_summary(rule: Mapping[str, Any]) -> str:
    """One line: the rule's effects and what it matches (``deny release.publish for companies globex``)."""
    effects = [e for e in ("deny", "hold", "require", "limit", "window", "freeze", "audit") if rule.get(e)]
    if rule.get("enforcement") == "advisory":
        effects.append("advisory")
    match = rule.get("match") or {}
    scope = " ".join(
        f"{key} {', '.join(match[key]) if isinstance(match[key], list) else _labels(match[key])}"
        for key in ("products", "companies", "labels")
        if match.get(key)
    )
    actions = ", ".join(match.get("actions") or ["every action"])
    text = f"{'/'.join(effects) or 'allow'} {actions}" + (f" for {scope}" if scope else "")
    message = (rule.get("deny") or {}).get("message")
    return text + (f": {message}" if message else "")


def _labels(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _named(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[list[str], list[str], list[Named]]:
    """Keys added, removed, and changed (with their field changes) between two mappings of documents."""
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = [
        Named(k, tuple(field_changes(old[k], new[k])))
        for k in sorted(set(old) & set(new))
        if old[k] != new[k]
    ]
    return added, removed, changed


def _action_ref(a: Action) -> ActionRef:
    return ActionRef(a.id, a.product, str(a.kind), DecisionRef.of(a))


def _facet_changes(base: Plan, head: Plan) -> list[FacetChange]:
    return [
        FacetChange(name, facet, str(old.state), str(new.state), new.message)
        for name in sorted(set(base.products) & set(head.products))
        for facet, new in head.products[name].facets.items()
        if (old := base.products[name].facets.get(facet)) is not None and old.state != new.state
    ]


def diff_plans(base: Side, head: Side) -> PlanDiff:
    """What changes from ``base`` to ``head``: desired state (products, fleet, constitution) and plan
    (actions that appear or disappear, verdicts that change). Pure; every list sorted."""
    p_added, p_removed, p_changed = _named(base.products, head.products)
    rules = {
        side: {r["id"]: r for r in s.constitution.get("rules", [])} for side, s in (("b", base), ("h", head))
    }
    r_added, r_removed, r_changed = _named(rules["b"], rules["h"])
    others = {
        side: {k: v for k, v in s.constitution.items() if k != "rules"}
        for side, s in (("b", base), ("h", head))
    }
    old_actions = {a.id: a for a in base.plan.actions}
    new_actions = {a.id: a for a in head.plan.actions}
    verdicts = [
        VerdictChange(i, a.product, str(a.kind), DecisionRef.of(old_actions[i]), DecisionRef.of(a))
        for i, a in sorted(new_actions.items())
        if i in old_actions
        and (a.decision.verdict, a.decision.rule)
        != (old_actions[i].decision.verdict, old_actions[i].decision.rule)
    ]
    return PlanDiff(
        base=SideRef(base.label, base.revision, base.plan.summary()),
        head=SideRef(head.label, head.revision, head.plan.summary()),
        products_added=tuple(p_added),
        products_removed=tuple(p_removed),
        products_changed=tuple(p_changed),
        fleet=tuple(field_changes(dict(base.fleet), dict(head.fleet), "spec")),
        constitution=tuple(field_changes(others["b"], others["h"], "spec")),
        rules_added=tuple(RuleRef(r, rule_summary(rules["h"][r])) for r in r_added),
        rules_removed=tuple(RuleRef(r, rule_summary(rules["b"][r])) for r in r_removed),
        rules_changed=tuple(r_changed),
        actions_added=tuple(_action_ref(new_actions[i]) for i in sorted(set(new_actions) - set(old_actions))),
        actions_removed=tuple(
            _action_ref(old_actions[i]) for i in sorted(set(old_actions) - set(new_actions))
        ),
        verdicts=tuple(verdicts),
        facets=tuple(_facet_changes(base.plan, head.plan)),
    )


# --- loading a revision (I/O) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """One side as loaded: its label, the desired state (None if it does not load) and why not."""

    side: str  # base | head
    label: str  # the revision as asked ("main", "feature", "working tree")
    desired: DesiredState | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str = ""  # a problem that is no diagnostic (unknown revision, not a git repo)

    @property
    def ok(self) -> bool:
        """Whether the side loaded."""
        return self.desired is not None


def load_revision(fleet: Path, rev: str | None, side: str) -> Loaded:
    """The fleet at ``rev`` (a branch, tag or commit of the repo holding ``fleet``), or the working tree
    as it is when ``rev`` is None. The working tree is never touched: the fleet files at the commit are
    read from git into a temporary directory and the state is rebound to the real fleet root."""
    if rev is None:
        desired, diags = load_fleet(fleet)
        return Loaded(side, WORKING_TREE, desired, diags)
    try:
        commit = repos.run(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], fleet
        )
        files = _files_at(fleet, commit)
    except repos.GitError as exc:
        why = exc.stderr or "no such commit, branch or tag"
        return Loaded(side, rev, None, error=f"cannot read revision {rev!r} of fleet {fleet}: {why}")
    with tempfile.TemporaryDirectory(prefix="cmctl-diff-") as tmp:
        copy = Path(tmp) / "fleet"
        for rel, data in files.items():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            (copy / rel).write_bytes(data)
        hooks = replace(HOOKS, revision=_revision_at(fleet, commit), revisions=None)
        desired, diags = loader.load_fleet(copy, hooks)
        rename = _renamer(copy, fleet)
    diags = [replace(d, file=rename(d.file)) for d in diags]
    if desired is None:
        return Loaded(side, rev, None, diags)
    entries = {
        n: replace(e, file=rename(e.file), pos=replace(e.pos, file=rename(e.pos.file)))
        for n, e in desired.entries.items()
    }
    return Loaded(side, rev, replace(desired, root=fleet.resolve(), entries=entries), diags)


def _files_at(fleet: Path, commit: str) -> dict[str, bytes]:
    """The fleet files the loader reads (``fleet.yaml``, ``constitution.yaml``, ``products/``) at
    ``commit``, relative to the fleet directory: one ``ls-tree`` and one ``cat-file --batch``."""
    prefix = repos.run(["rev-parse", "--show-prefix"], fleet)
    top = Path(repos.run(["rev-parse", "--show-toplevel"], fleet))
    listed = repos.run(["ls-tree", "-r", "-z", "--full-name", "--name-only", commit, "--", *WATCHED], fleet)
    names = [n for n in listed.split("\0") if n]
    found = repos.Mirror(top).at(commit, names)
    return {
        n.removeprefix(prefix): obj[2] for n, obj in found.items() if obj is not None and obj[1] == "blob"
    }


def _revision_at(fleet: Path, commit: str) -> Callable[[Path, Sequence[str], Sequence[str]], str]:
    """The loader's revision hook for a commit: the commit itself, or the last commit up to it touching
    ``paths`` (as ``repos.revision`` answers for a working tree, never dirty)."""

    def revision(_root: Path, paths: Sequence[str], _watched: Sequence[str]) -> str:
        if not paths:
            return commit
        return repos.run(["log", "-1", "--format=%H", commit, "--", *paths], fleet) or commit

    return revision


def _renamer(copy: Path, fleet: Path) -> Callable[[str], str]:
    """Map a file name under the temporary copy (as the loader shows it) to the same file under the fleet
    directory (as ``cmctl validate --fleet FLEET`` shows it)."""
    prefix = str(copy)

    def rename(name: str) -> str:
        if name == prefix or name.startswith(prefix + "/"):
            return str(fleet / Path(name).relative_to(prefix))
        return name

    return rename


# --- observing once and planning both sides (I/O) ------------------------------------------------------


def observation_key(desired: DesiredState, name: str) -> str:
    """What a product's observation depends on: its Product document and the Fleet's registries and CI.
    Equal keys on both sides: the same facts, observed once."""
    spec = desired.fleet.spec
    return json.dumps(
        [
            desired.products[name].model_dump(mode="json", by_alias=True),
            {k: v.model_dump(mode="json") for k, v in sorted(spec.registries.items())},
            spec.ci.model_dump(mode="json"),
        ],
        sort_keys=True,
    )


def observe_both(
    base: DesiredState, head: DesiredState, store: Store, context: Context, workers: int = 8
) -> tuple[dict[str, ProductFacts], dict[str, ProductFacts]]:
    """Observe the union of both sides' products once; a product observed per side only when it exists
    on one side or its observation inputs differ. Returns (base facts, head facts)."""
    shared = {
        n
        for n in base.products
        if n in head.products and observation_key(base, n) == observation_key(head, n)
    }
    head_facts = Observer(head, store, context, workers=workers).observe(head.products)
    own = set(base.products) - shared
    base_facts = Observer(base, store, context, workers=workers).observe(own) if own else {}
    base_facts.update({n: head_facts[n] for n in shared})
    return base_facts, head_facts


def plan_side(
    desired: DesiredState, observed: Mapping[str, ProductFacts], store: Store, now: datetime
) -> Plan:
    """Plan and gate one side as ``cmctl plan`` would (budgets and approvals from the store), recording
    nothing."""
    gate = make_gate(desired, store, now)
    approvals = approvals_on_record(store, desired.products)
    return plan(desired_view(desired), observed, gate, now, approvals=approvals)


def diff_revisions(
    fleet: Path, base_rev: str, head_rev: str | None, context: Context, workers: int = 8
) -> tuple[PlanDiff | None, list[Loaded]]:
    """Load both revisions, observe once, plan both with the same observation and clock, and diff.
    Returns the diff, or None and the sides that do not load."""
    base = load_revision(fleet, base_rev, "base")
    head = load_revision(fleet, head_rev, "head")
    failed = [s for s in (base, head) if not s.ok]
    if failed:
        return None, failed
    assert base.desired is not None and head.desired is not None
    store = open_store(base.desired, context.secrets)  # the base's: a head may name another database
    try:
        base_facts, head_facts = observe_both(base.desired, head.desired, store, context, workers)
        now = context.now()
        base_plan = plan_side(base.desired, base_facts, store, now)
        head_plan = plan_side(head.desired, head_facts, store, now)
    finally:
        store.engine.dispose()
    return diff_plans(
        side_of(base.label, base.desired, base_plan), side_of(head.label, head.desired, head_plan)
    ), []


# --- rendering (pure) ------------------------------------------------------------------------------------


def short_revision(revision: str) -> str:
    """A commit id shortened to 12 characters, keeping a ``+dirty`` mark; other values as they are."""
    commit, plus, rest = revision.partition("+")
    return (commit[:12] if len(commit) == 40 else commit) + plus + rest


def value_text(value: Any) -> str:
    """A desired-state value in one line: JSON, ``(unset)`` for a value not set."""
    return "(unset)" if value is None else json.dumps(value, ensure_ascii=False)


def decision_text(d: DecisionRef) -> str:
    """``deny (rule): message`` (no message for an allow)."""
    text = str(d.verdict) + (f" ({d.rule})" if d.rule else "")
    return text + (f": {d.message}" if d.verdict is not Verdict.ALLOW and d.message else "")


def counts_text(diff: PlanDiff) -> str:
    """One line counting what differs (``1 product added, 4 actions appear, ...``)."""
    parts = [
        (len(diff.products_added), "product added", "products added"),
        (len(diff.products_removed), "product removed", "products removed"),
        (len(diff.products_changed), "product changed", "products changed"),
        (len(diff.fleet), "fleet field changed", "fleet fields changed"),
        (len(diff.rules_added), "rule added", "rules added"),
        (len(diff.rules_removed), "rule removed", "rules removed"),
        (len(diff.rules_changed), "rule changed", "rules changed"),
        (len(diff.constitution), "constitution field changed", "constitution fields changed"),
        (len(diff.actions_added), "action appears", "actions appear"),
        (len(diff.actions_removed), "action disappears", "actions disappear"),
        (len(diff.verdicts), "verdict changes", "verdicts change"),
        (len(diff.facets), "facet state changes", "facet states change"),
    ]
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n) or "no differences"


def _side_text(side: SideRef) -> str:
    rev = short_revision(side.revision)
    return side.label if rev == side.label else f"{side.label} ({rev})"


def render_text(diff: PlanDiff) -> str:
    """The diff for humans: the two sides, then products, fleet, constitution, actions and verdicts."""
    lines = [
        f"Fleet diff: {_side_text(diff.base)} -> {_side_text(diff.head)}",
        f"  base plan: {diff.base.summary}",
        f"  head plan: {diff.head.summary}",
    ]

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.extend(["", f"{title}:", *body])

    def fields(changes: Sequence[FieldChange], indent: str = "      ") -> list[str]:
        return [f"{indent}{c.path}: {value_text(c.old)} -> {value_text(c.new)}" for c in changes]

    section(
        "Products",
        [f"  + {n}" for n in diff.products_added]
        + [f"  - {n}" for n in diff.products_removed]
        + [line for p in diff.products_changed for line in (f"  ~ {p.name}", *fields(p.fields))],
    )
    section("Fleet", fields(diff.fleet, "  ~ "))
    section(
        "Constitution",
        [f"  + rule {r.id}: {r.summary}" for r in diff.rules_added]
        + [f"  - rule {r.id}: {r.summary}" for r in diff.rules_removed]
        + [line for r in diff.rules_changed for line in (f"  ~ rule {r.name}", *fields(r.fields))]
        + fields(diff.constitution, "  ~ "),
    )
    section(
        "Actions",
        [f"  + {a.id}: {decision_text(a.decision)}" for a in diff.actions_added]
        + [f"  - {a.id}: {decision_text(a.decision)}" for a in diff.actions_removed],
    )
    section(
        "Verdicts",
        [f"  ~ {v.id}: {decision_text(v.old)} -> {decision_text(v.new)}" for v in diff.verdicts],
    )
    section(
        "Facets",
        [f"  ~ {f.product} {f.facet}: {f.old} -> {f.new}: {f.message}" for f in diff.facets],
    )
    lines.extend(["", f"Diff: {counts_text(diff)}"])
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """Text as inline code in a Markdown table cell."""
    return "`" + _md(text).replace("`", "'") + "`" if text else ""


def _md_decision(d: DecisionRef) -> str:
    verdict = str(d.verdict) if d.verdict is Verdict.ALLOW else f"**{d.verdict}**"
    text = verdict + (f" ({_code(d.rule)})" if d.rule else "")
    return text + (f": {_md(d.message)}" if d.verdict is not Verdict.ALLOW and d.message else "")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _field_rows(change: str, name: str, changes: Sequence[FieldChange]) -> list[list[str]]:
    return [
        [change, _code(name), _code(c.path), _code(value_text(c.old)), _code(value_text(c.new))]
        for c in changes
    ]


def render_markdown(diff: PlanDiff) -> str:
    """The diff as a pull-request comment: a heading, the two sides, then one table per section."""
    lines = [
        f"### Code Monkeys plan: {_code(diff.base.label)} → {_code(diff.head.label)}",
        "",
        *_table(
            ["", "revision", "plan"],
            [
                [side, f"{_code(s.label)} {_code(short_revision(s.revision))}", _md(s.summary)]
                for side, s in (("base", diff.base), ("head", diff.head))
            ],
        ),
    ]

    def section(title: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if rows:
            lines.extend(["", f"#### {title}", "", *_table(head, rows)])

    section(
        "Products",
        ["change", "product", "field", "base", "head"],
        [["added", _code(n), "", "", ""] for n in diff.products_added]
        + [["removed", _code(n), "", "", ""] for n in diff.products_removed]
        + [row for p in diff.products_changed for row in _field_rows("changed", p.name, p.fields)],
    )
    section("Fleet", ["change", "", "field", "base", "head"], _field_rows("changed", "fleet", diff.fleet))
    section(
        "Constitution",
        ["change", "rule", "field", "base", "head"],
        [["added", _code(r.id), "", "", _md(r.summary)] for r in diff.rules_added]
        + [["removed", _code(r.id), "", _md(r.summary), ""] for r in diff.rules_removed]
        + [row for r in diff.rules_changed for row in _field_rows("changed", r.name, r.fields)]
        + _field_rows("changed", "constitution", diff.constitution),
    )
    section(
        "Actions",
        ["change", "action", "decision"],
        [["appears", _code(a.id), _md_decision(a.decision)] for a in diff.actions_added]
        + [["disappears", _code(a.id), _md_decision(a.decision)] for a in diff.actions_removed],
    )
    section(
        "Verdicts",
        ["action", "base", "head"],
        [[_code(v.id), _md_decision(v.old), _md_decision(v.new)] for v in diff.verdicts],
    )
    section(
        "Facets",
        ["product", "facet", "base", "head", "why"],
        [[_code(f.product), f.facet, f.old, f.new, _md(f.message)] for f in diff.facets],
    )
    lines.extend(["", f"**Diff:** {counts_text(diff)}"])
    return "\n".join(lines) + "\n"


def _field_json(changes: Sequence[FieldChange]) -> list[dict[str, Any]]:
    return [{"path": c.path, "old": c.old, "new": c.new} for c in changes]


def _decision_json(d: DecisionRef) -> dict[str, Any]:
    return {"verdict": str(d.verdict), "rule": d.rule, "message": d.message}


def _action_json(a: ActionRef) -> dict[str, Any]:
    return {"id": a.id, "product": a.product, "kind": a.kind, **_decision_json(a.decision)}


def to_json(diff: PlanDiff) -> dict[str, Any]:
    """The ``codemonkeys.plandiff/v1`` document (its shape is in this module's docstring)."""
    return {
        "format": DIFF_FORMAT,
        "changed": diff.has_changes,
        **{
            side: {"label": s.label, "revision": s.revision, "summary": s.summary}
            for side, s in (("base", diff.base), ("head", diff.head))
        },
        "products": {
            "added": list(diff.products_added),
            "removed": list(diff.products_removed),
            "changed": [{"name": p.name, "fields": _field_json(p.fields)} for p in diff.products_changed],
        },
        "fleet": _field_json(diff.fleet),
        "constitution": {
            "fields": _field_json(diff.constitution),
            "rules": {
                "added": [{"id": r.id, "summary": r.summary} for r in diff.rules_added],
                "removed": [{"id": r.id, "summary": r.summary} for r in diff.rules_removed],
                "changed": [{"id": r.name, "fields": _field_json(r.fields)} for r in diff.rules_changed],
            },
        },
        "actions": {
            "added": [_action_json(a) for a in diff.actions_added],
            "removed": [_action_json(a) for a in diff.actions_removed],
        },
        "verdicts": [
            {
                "id": v.id,
                "product": v.product,
                "kind": v.kind,
                "old": _decision_json(v.old),
                "new": _decision_json(v.new),
            }
            for v in diff.verdicts
        ],
        "facets": [
            {"product": f.product, "facet": f.facet, "old": f.old, "new": f.new, "message": f.message}
            for f in diff.facets
        ],
    }


def render(diff: PlanDiff, fmt: DiffFormat) -> str:
    """The diff in ``fmt``: text, markdown, or the JSON document (indented, newline-terminated)."""
    if fmt is DiffFormat.MARKDOWN:
        return render_markdown(diff)
    if fmt is DiffFormat.JSON:
        return json.dumps(to_json(diff), indent=2, ensure_ascii=False) + "\n"
    return render_text(diff)


# --- a fleet pull request planned in a comment (Atlantis) --------------------------------------------

PLAN_MARKER = "<!-- codemonkeys:plan -->"  # the comment Code Monkeys keeps current on a fleet pull request
PLAN_CONTEXT = "codemonkeys/plan"  # its commit status on the pull request's head
COMMENT_MAX = 60_000  # characters of a plan comment (GitHub refuses bodies over 65,536)
_PULL_REFS = {"gitlab": "refs/merge-requests/{n}/head"}  # GitHub, Gitea and Forgejo: refs/pull/N/head


@dataclass(frozen=True)
class PullPlanned:
    """What planning a fleet pull request did: its head commit, whether any plan or desired state differs,
    how many verdicts change, and what became of the comment (created, updated, unchanged)."""

    number: int
    head: str
    changes: bool
    verdicts: int
    comment: str


def plan_pull_request(fleet: Path, url: str, number: int, base: str, context: Context) -> PullPlanned:
    """Plan fleet pull request ``number`` (into branch ``base``) as ``cmctl diff`` would, and keep the
    result in one comment on it (``PLAN_MARKER``) with a commit status on its head (``PLAN_CONTEXT``):
    the head is fetched from ``url`` (the forge's ``refs/pull/N/head``) into ``refs/codemonkeys/`` of the
    fleet's clone; a side that does not load is said in the comment, and the status fails.
    ``ForgeError`` when the forge refuses; ``repos.GitError`` when the head cannot be fetched."""
    from codemonkeys.forges import ForgeError, StatusState, fleet_forge

    desired, diags = load_fleet(fleet)
    if desired is None:
        raise ForgeError(
            f"the fleet at {fleet} does not load ({len(diags)} problems): no forge to comment on"
        )
    client = fleet_forge(desired, url, context.secrets)
    if client is None:
        raise ForgeError("the fleet has no forge (spec.git.forge): nowhere to comment")
    head_ref, base_ref = f"refs/codemonkeys/pull/{number}", f"refs/codemonkeys/base/{number}"
    pull_ref = _PULL_REFS.get(str(client.kind), "refs/pull/{n}/head").format(n=number)
    repos.run(
        # from the clone's own remote (that URL): a login in the URL never reaches an error message
        ["fetch", "-q", "--no-tags", "origin", f"+{pull_ref}:{head_ref}", f"+refs/heads/{base}:{base_ref}"],
        fleet,
    )
    head = repos.run(["rev-parse", head_ref], fleet).strip()
    result, failed = diff_revisions(fleet, base_ref, head_ref, context)
    if result is None:
        lines = [f"### Code Monkeys plan of #{number}: does not load", ""]
        for side in failed:
            lines.append(
                f"**{side.side}** (`{side.label}`): {side.error or f'{len(side.diagnostics)} problem(s)'}"
            )
            lines += [f"- `{d.file}:{d.line}:{d.col}`: {d.message}" for d in side.diagnostics[:20]]
        body, state, said = "\n".join(lines) + "\n", StatusState.FAILURE, "the fleet does not load"
        changes, verdicts = True, 0
    else:
        body, state = render_markdown(result), StatusState.SUCCESS
        changes, verdicts = result.has_changes, len(result.verdicts)
        said = f"{verdicts} verdict(s) change" if verdicts else ("plan changes" if changes else "no change")
    if len(body) > COMMENT_MAX:  # GitHub takes 65,536 characters
        cut = body[:COMMENT_MAX].rsplit("\n", 1)[0]
        body = (
            cut
            + f"\n\n_... cut at {COMMENT_MAX} characters: `cmctl diff {base} {head[:12]}` shows it all._\n"
        )
    try:
        comment = client.upsert_comment(number, PLAN_MARKER, body)
    finally:  # the status says the verdict even when the comment could not be written
        client.post_status(head, state, PLAN_CONTEXT, said, None)
    return PullPlanned(number, head, changes, verdicts, comment)


__all__ = [
    "DIFF_FORMAT",
    "PLAN_CONTEXT",
    "PLAN_MARKER",
    "DiffFormat",
    "Loaded",
    "PlanDiff",
    "PullPlanned",
    "Side",
    "diff_plans",
    "diff_revisions",
    "field_changes",
    "load_revision",
    "plan_pull_request",
    "render",
    "render_markdown",
    "render_text",
    "side_of",
    "to_json",
]
