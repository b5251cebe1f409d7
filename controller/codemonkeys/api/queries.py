"""The library API's read models: status and the fleet table, changes, runs and audit pages, explain,
the swarm's signatures, templates and predictions, logs, held actions, the oracle's sources and call
graph. Nothing here changes state (``api/commands.py`` does)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from codemonkeys.api.values import (
    BACKOFF_EVENT,
    ApiError,
    _cause_text,
    _dependency_conflicts,
    _last_action,
    _location_text,
    unknown_products,
)
from codemonkeys.engine.durations import history
from codemonkeys.kinds.models import secret_ref_uses
from codemonkeys.observe import Observer
from codemonkeys.plan.planner import dependency_closure
from codemonkeys.store.db import ChainCheck, utcnow
from codemonkeys.swarm.predict import Change, Predictor, backtest, slowdowns
from codemonkeys.vocab.facts import BuildStatus, Unknown
from codemonkeys.vocab.names import did_you_mean
from codemonkeys.vocab.plan import Action, FacetState, Plan, Verdict, stuck_reason
from codemonkeys.vocab.selectors import ProductRef, select
from codemonkeys.vocab.text import newest_line


class ReadModels:
    """What a front end reads from a ``FleetSession`` (mixed into it: ``self`` is the session)."""

    def paused(self) -> dict[str, dict[str, str]]:
        """The products suspended by ``suspend``: who did it and when."""
        return {n: {"by": p.by, "at": p.at.isoformat()} for n, p in self.store.paused().items()}

    def closure(self, product: str) -> set[str]:
        """What ``product`` depends on, transitively (without itself)."""
        return dependency_closure(self.desired.products, [product]) - {product}

    def status(self) -> dict[str, Any]:
        """The status report: the last run, and per product the facets as last observed and the last
        failure (what ``cmctl status --json`` prints)."""
        rows = {s.product: s for s in self.store.statuses()}
        runs = self.runs(limit=1)
        running = self.running()
        paused = self.store.paused()
        doc: dict[str, Any] = {"last_run": runs[0] if runs else None, "products": {}}
        for name in self.desired.products:
            row = rows.get(name)
            # a failure stands only while the product is not in sync (and no later run of it succeeded)
            fail = self.store.last_failure(name) if not (row and row.in_sync) else None
            facets = row.facets if row else {}
            doc["products"][name] = {
                "observed_at": row.observed_at.isoformat() if row else None,
                "in_sync": row.in_sync if row else None,
                "facets": {k: v["state"] for k, v in facets.items()},
                # facet -> the held action, its rule and who may approve (the facet's message says)
                "held": {k: v.get("message", "") for k, v in facets.items() if v["state"] == "held"},
                "running": running.get(name),
                "stuck": stuck_reason({k: (v["state"], v.get("message", "")) for k, v in facets.items()})
                if row
                and not row.in_sync
                and not self.desired.products[name].spec.suspend
                and name not in paused
                else "",
                "last_failure": (
                    {"action": fail.action_id, "run": fail.run_id, "message": fail.message} if fail else None
                ),
            }
        return doc

    def refs(self) -> dict[str, ProductRef]:
        """What selectors look at of every product (company, labels, language, dependencies)."""
        return {
            name: ProductRef(
                name,
                p.metadata.company,
                dict(p.metadata.labels),
                str(p.spec.language),
                tuple(p.spec.depends_on),
            )
            for name, p in self.desired.products.items()
        }

    def select(self, selectors: Iterable[str] | None) -> list[str]:
        """The products ``selectors`` select (``codemonkeys.vocab.selectors``); ``SelectorError`` if one
        is malformed. No selector selects every product."""
        return select(self.refs(), selectors)

    def fleet(self, selectors: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """One row per selected product (``cmctl fleet ls``, the dashboard's grid): company, labels,
        language, dependencies, facets as last observed (state, observed value), the released version,
        the last journaled action, and the last failure. Reads the store only (no observation)."""
        rows = {s.product: s for s in self.store.statuses()}
        refs = self.refs()
        running = self.running()
        out = []
        for name in select(refs, selectors):
            ref, row = refs[name], rows.get(name)
            facets = row.facets if row else {}
            last = self.store.actions(product=name)
            fail = self.store.last_failure(name)
            out.append(
                {
                    "name": name,
                    "company": ref.company,
                    "labels": dict(ref.labels),
                    "language": ref.language,
                    "depends_on": list(ref.depends_on),
                    "suspended": self.desired.products[name].spec.suspend,
                    "in_sync": row.in_sync if row else None,
                    "observed_at": row.observed_at.isoformat() if row else None,
                    "facets": {k: v.get("state") for k, v in facets.items()},
                    "observed": {k: v.get("observed") for k, v in facets.items() if v.get("observed")},
                    "version": facets.get("release", {}).get("observed"),
                    "last_run": _last_action(last[-1]) if last else None,
                    "running": running.get(name),
                    "last_failure": (
                        {"action": fail.action_id, "run": fail.run_id, "message": fail.message}
                        if fail
                        else None
                    ),
                }
            )
        return out

    def running(self) -> dict[str, dict[str, Any]]:
        """Per product with an action running now (from any process applying): the oldest such action,
        its run, kind, start, elapsed seconds, the seconds its kind is expected to take (the duration
        model's estimate, None without history) and its newest output line."""
        records = self.store.running_actions()
        if not records:
            return {}
        model = Predictor.fit(history(self.store))
        now, hour = utcnow(), self.context.now().hour  # journal times are the store's wall clock
        out: dict[str, dict[str, Any]] = {}
        for rec in records:
            if rec.product in out:
                continue
            ci = str(self.desired.ci_kind(rec.product)) if rec.product in self.desired.products else None
            est = model.estimate(rec.product, rec.kind, Change(hour=hour), ci)
            out[rec.product] = {
                "action": rec.action_id,
                "kind": rec.kind,
                "run": rec.run_id,
                "started_at": rec.started_at.isoformat() if rec.started_at else None,
                "elapsed": round((now - rec.started_at).total_seconds(), 1) if rec.started_at else 0.0,
                "expected": None if est.seconds is None else round(est.seconds, 1),
                "last_line": newest_line(rec.log or "")[:300],
            }
        return out

    def changes(self, selectors: list[str] | None = None) -> list[dict[str, Any]]:
        """Every change proposal of the selected products, newest first, with its state: proposed,
        building, green, red, merged, or denied / held when the last apply's gate blocked its action."""
        names = set(self.select(selectors))
        blocked: dict[str, dict[str, tuple[str, str, str]]] = {}  # product -> action id -> last verdict

        def verdict(product: str, action_id: str) -> tuple[str, str, str]:
            """(verdict, rule, message) of the action's last journal entry when the gate blocked it."""
            if product not in blocked:
                blocked[product] = {}
                for a in self.store.actions(product=product):
                    if "/change." in a.action_id:
                        said = (a.verdict, a.rule, a.message) if a.status == "blocked" else ("", "", "")
                        blocked[product][a.action_id] = said
            return blocked[product].get(action_id, ("", "", ""))

        rows = []
        for r in reversed(self.store.change_proposals()):
            if r.product not in names:
                continue
            state, rule, why = r.status, "", ""
            if state in ("proposed", "green"):
                kind = "change.propose" if state == "proposed" else "change.merge"
                said, said_rule, said_why = verdict(r.product, f"{r.product}/{kind}/{r.change}")
                if said in ("deny", "hold"):
                    state, rule, why = ("denied" if said == "deny" else "held"), said_rule, said_why
            rows.append(
                {
                    "change": r.change,
                    "product": r.product,
                    "state": state,
                    "status": r.status,
                    "kind": r.kind,
                    "selector": r.selector,
                    "message": r.message,
                    "command": list(r.command or []),
                    "author": r.author,
                    "created_at": r.created_at.isoformat(timespec="seconds"),
                    "branch": r.branch,
                    "base": r.base_commit,
                    "commit": r.commit,
                    "files": list(r.files or []),
                    "lines": r.lines,
                    "reason": r.reason,
                    "rule": rule,  # denied / held: the rule and its message
                    "blocked": why,
                    "diff": r.diff,
                    "update": r.takes,  # a dependency update: what it takes (None for other changes)
                }
            )
        return rows

    def product_status(self, name: str) -> dict[str, Any]:
        """One product's full status document (facets with their messages), as the HTTP API serves it."""
        if name not in self.desired.products:
            raise ApiError(f"no product {name!r}")
        row = next((s for s in self.store.statuses() if s.product == name), None)
        return {
            "name": name,
            "in_sync": row.in_sync if row else None,
            "observed_at": row.observed_at.isoformat() if row else None,
            "facets": row.facets if row else {},
            "suspended": self.desired.products[name].spec.suspend,
        }

    def ripple(self, product: str, version: str | None = None):
        """The ripple of a release of ``product`` (at ``version``; default: its next version, else its
        newest published one) through the fleet's dependents (``api.ripple.Ripple``): by wave, what each
        product's manifests take, whether its update policy lets it follow or why not, the patch it then
        releases, and its predicted duration from the recorded history. Observes the fleet's git facts
        and the registries it reads now; ``ApiError`` for an unknown product or one that publishes
        nothing."""
        from codemonkeys.api.ripple import observe_ripple, predict_ripple, ripple_report

        self.check_products([product])
        observed = observe_ripple(self.desired, self.store, self.context, product, self.workers)
        result = ripple_report(self.desired, observed, product, version, self.store.paused())
        model = Predictor.fit(history(self.store))
        hour = self.context.now().hour

        def estimate(name: str, kind: str):
            return model.estimate(name, kind, Change(hour=hour), str(self.desired.ci_kind(name)))

        return predict_ripple(result, estimate, self.desired)

    def docs_page(self, name: str, path: str) -> tuple[Path | None, bool]:
        """A file of ``name``'s docs preview (the site ``docs.build`` made) that the URL path ``path`` names
        (a folder: its ``index.html``; None: no such page, or a path leading outside the site), and whether
        ``path`` names a folder of the site without its trailing slash (the caller redirects: relative links
        need it)."""
        from codemonkeys.docsite import preview_page

        return preview_page(self.desired.state_dir, name, path)

    def docs_links(self, name: str) -> dict[str, Any]:
        """Where ``name``'s docs are read: the preview (``/docs/<name>/``, when one was built) and each
        publish target (its kind, where it is and its ``url`` when the fleet gives one)."""
        from codemonkeys.docsite import site_dir
        from codemonkeys.kinds.models import DocsBranchTarget

        docs = self.desired.products[name].spec.docs
        if docs is None:
            return {"preview": None, "targets": []}
        built = (site_dir(self.desired.state_dir, name) / "index.html").is_file()
        targets = [
            {
                "name": t.key,
                "where": f"branch {t.branch}" if isinstance(t, DocsBranchTarget) else f"hosts:{t.path}",
                "url": t.url,
            }
            for t in docs.publish
        ]
        return {"preview": f"/docs/{name}/" if built else None, "targets": targets}

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest runs, newest first."""
        return [
            {
                "id": r.id,
                "status": r.status,
                "revision": r.fleet_revision,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "counts": r.summary,
            }
            for r in self.store.runs(limit=limit)
        ]

    def audit(self, product: str | None = None, limit: int | None = 50) -> list[dict[str, Any]]:
        """Audit records (newest last) with their hash chain; ``ApiError`` for a product neither the fleet
        nor the log knows (a product removed from the fleet keeps its history)."""
        records = self.store.audit_records(product=product, limit=limit)
        if product is not None and not records and product not in self.desired.products:
            raise unknown_products([product], self.desired.products)
        return [{**r.content(), "prev_hash": r.prev_hash, "hash": r.hash} for r in records]

    def audit_count(self, product: str | None = None) -> int:
        """How many audit records there are (of one product if given)."""
        return self.store.audit_count(product)

    def secrets(self) -> list[dict[str, Any]]:
        """Every secret the fleet references (``{secretRef: NAME}``) or a source holds: its name, where it
        resolves from, who uses it and a problem if any. Never a value."""
        provider = self.context.secrets.provider(self.desired.root)
        used: dict[str, list[str]] = {}
        for name, product in self.desired.products.items():
            for env in product.spec.deploy.environments if product.spec.deploy else ():
                for ref in env.secret_refs():
                    used.setdefault(ref, []).append(f"{name}/deploy/{env.name}")
            for ref, where in secret_ref_uses(product.spec.model_copy(update={"deploy": None}), "spec"):
                used.setdefault(ref, []).append(f"{name}: {where}")
        for ref, where in secret_ref_uses(
            self.desired.fleet.spec.model_copy(update={"companies": []}), "spec"
        ):
            used.setdefault(ref, []).append(f"fleet: {where}")
        for company in self.desired.fleet.spec.companies:
            for ref, where in secret_ref_uses(company.credentials, "credentials"):
                used.setdefault(ref, []).append(f"company {company.name}: {where}")
        rows = []
        for name in sorted(set(used) | set(provider.names())):
            r = provider.resolve(name)
            rows.append(
                {
                    "name": name,
                    "source": r.source or None,
                    "ok": r.ok,
                    "error": r.error,
                    "used_by": used.get(name, []),
                }
            )
        return rows

    def verify_audit(self) -> ChainCheck:
        """Check the audit log's hash chain."""
        return self.store.verify_audit()

    def explain(self, product: str) -> dict[str, Any]:
        """Why ``product`` is or is not in sync, facet by facet: desired, observed (and when), what
        stands in the way (a red build with its signature, a failed or skipped action with its cause, a
        rule that denies or holds, a dependency not published yet, an unknown fact, suspension), and the
        next actions a reconcile would take. Observes the product (and its dependencies) now."""
        self.check_products([product])
        plan = self.plan([product])
        mine = plan.products[product]
        actions = [a for a in plan.actions if a.product == product]
        doc: dict[str, Any] = {
            "product": product,
            "in_sync": mine.in_sync,
            "suspended": mine.suspended,
            "stuck": mine.stuck,  # nothing the controller may do converges it: what a person can do is said
            "observed_at": self.context.now().isoformat(timespec="seconds"),
            "facets": {
                name: {"want": f.want, "observed": f.observed, "state": str(f.state), "message": f.message}
                for name, f in mine.facets.items()
            },
            "obstacles": self._obstacles(product, plan),
            "next": [{"id": a.id, "verdict": str(a.decision.verdict), "reason": a.reason} for a in actions],
        }
        build = mine.facets.get("build")
        attempts = self.store.heal_attempts(product)
        if build is not None and not build.in_sync and attempts:
            doc["heal"] = self.heal_attempts(product, attempts[-1].commit)  # what was tried on the red commit
        return doc

    def _obstacles(self, product: str, plan: Plan) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        mine = plan.products[product]
        if mine.suspended:
            out.append({"kind": "suspended", "message": "spec.suspend is true: observed, never acted on"})
        if mine.in_sync:  # nothing stands in its way (a dependency's state is the dependency's)
            return out
        build = mine.facets.get("build")
        if build is not None and build.state is FacetState.FAILED:
            out.append({"kind": "red build", "message": build.message, **self._signature(product)})
        for name, f in mine.facets.items():
            if f.state is FacetState.UNKNOWN:
                out.append({"kind": "unknown fact", "message": f"{name}: {f.message}"})
        for a in plan.actions:
            if a.product == product and a.decision.verdict is not Verdict.ALLOW:
                out.append({"kind": f"policy {a.decision.verdict}", "message": _verdict_text(a, mine)})
        out += _dependency_conflicts(product, plan)
        for dep in self.desired.products[product].spec.depends_on:
            dep_plan = plan.products.get(dep)
            if dep_plan is not None and not dep_plan.in_sync:
                waiting = ", ".join(f"{k} {f.state}" for k, f in dep_plan.facets.items() if not f.in_sync)
                out.append({"kind": "dependency", "message": f"{dep} is not in sync ({waiting})"})
        backoff = self._backoff(product)
        if backoff is not None:
            out.append(backoff)
        fail = self.store.last_failure(product)
        if fail is not None and not mine.in_sync:
            text = (
                f"{fail.action_id} failed in run {fail.run_id}: {fail.message} (cmctl logs {fail.action_id})"
            )
            out.append({"kind": "last failure", "message": text})
        return out

    def _backoff(self, product: str) -> dict[str, str] | None:
        """The controller's backoff of ``product`` if it is still waiting (recorded in the audit log)."""
        records = [r for r in self.store.audit_records(product=product) if r.event == BACKOFF_EVENT]
        if not records:
            return None
        data = records[-1].data
        until = datetime.fromisoformat(data["until"])
        if until <= self.context.now():
            return None
        text = (
            f"{data['failures']} failed reconcile(s) in a row: the controller tries again at {data['until']}"
        )
        return {"kind": "controller backoff", "message": text}

    def _signature(self, product: str) -> dict[str, str]:
        """The newest failure signature of the product and where the fleet saw it before."""
        rows = self.store.signatures(product=product)
        if not rows:
            return {}
        # the top signature of the newest failed build (recorded top first), as its heal facts name it
        newest = rows[-1].commit
        top = next(r for r in rows if r.commit == newest)
        cause = self._cause_rows(top.fingerprint)
        elsewhere = sorted({r.product for r in cause["rows"]} - {product})
        seen = f"; seen before in {', '.join(elsewhere)}" if elsewhere else ""
        fixed = cause["fixed"]
        how = "; ".join(f"{p}: {h}" for p, h in sorted(fixed.items()))
        fleet = f"seen in {len({r.product for r in cause['rows']})} products, fixed in {len(fixed)}"
        return {
            "signature": f"{top.kind}: {top.summary}{seen}",
            "cause": cause["cause"],
            "fleet": f"{fleet} ({how})" if how else fleet,
        }

    def _cause_rows(self, fingerprint: str) -> dict[str, Any]:
        """One cause across the fleet: its records, its cause text, and per product where it was fixed
        how (see ``signatures``)."""
        rows = self.store.signatures(fingerprint=fingerprint)
        return {"rows": rows, "cause": _cause_text(rows[-1]), "fixed": self._fixed(fingerprint, rows)}

    def _fixed(self, fingerprint: str, rows: list) -> dict[str, str]:
        """Products where a green build followed the signature, and how: a merged heal (by template T or
        by the LLM), a person's fix (a template learned from it, or a green build without a heal)."""
        fixed: dict[str, str] = {}
        for a in self.store.all_heal_attempts():
            if a.signature == fingerprint and a.status == "merged":
                fixed[a.product] = f"template {a.template[:12]}" if a.template else "heal"
        for t in self.store.templates(fingerprint):
            if t.origin == "human":
                fixed.setdefault(t.origin_product, f"by a person: template {t.id[:12]} learned")
        last: dict[str, Any] = {}
        for r in rows:
            last[r.product] = max(last.get(r.product, r.at), r.at)
        for name, at in last.items():
            build = self.store.last_build(name)
            if name not in fixed and build and build.status == BuildStatus.SUCCESS and build.finished_at > at:
                fixed[name] = "by a person"
        return fixed

    def conflicts(self, product: str | None = None) -> list[dict[str, Any]]:
        """Dependency resolver conflicts (pip ``ResolutionImpossible``, npm ``ERESOLVE``, cargo "failed to
        select a version") seen in build logs, oldest first (of one product if given): product, commit,
        tool, the package and the versions involved."""
        if product is not None:
            self.check_products([product])
        return [
            {
                "product": r.product,
                "commit": r.commit,
                "ci": r.ci,
                "tool": r.tool,
                "package": r.package,
                "involved": list(r.involved),
                "build_url": r.build_url,
                "at": r.at.isoformat(timespec="seconds"),
            }
            for r in self.store.conflicts(product)
        ]

    def templates(self) -> list[dict[str, Any]]:
        """The fix templates the fleet learned (from human fixes and merged heals), best record first:
        id, description, the error pattern, origin (human | heal, product, commit), successes, failures."""
        rows = sorted(
            self.store.templates(),
            key=lambda r: (-(r.successes + 1) / (r.successes + r.failures + 2), r.learned_at, r.id),
        )
        return [
            {
                "id": r.id,
                "description": r.description,
                "pattern": r.pattern,
                "kind": r.kind,
                "signature": r.signature,
                "origin": {"kind": r.origin, "product": r.origin_product, "commit": r.origin_commit},
                "successes": r.successes,
                "failures": r.failures,
                "learned_at": r.learned_at.isoformat(timespec="seconds"),
                "last_used_at": r.last_used_at.isoformat(timespec="seconds") if r.last_used_at else None,
            }
            for r in rows
        ]

    def templates_why(self, product: str, limit: int = 20) -> list[dict[str, Any]]:
        """What a product's recent fixes of red builds taught, newest first (the audit's
        ``template.not_learned`` and ``swarm.template.learned``/``strengthened`` records): at, commit, the red
        commit, learned (the template id or None) and the reasons per failure signature when nothing was."""
        self.check_products([product])
        events = ("template.not_learned", "swarm.template.learned", "swarm.template.strengthened")
        rows = [r for r in self.store.audit_records(product) if r.event in events][-limit:]
        return [
            {
                "at": r.at,
                "event": r.event,
                "commit": r.data.get("commit", ""),
                "red": r.data.get("red", ""),
                "learned": r.data.get("template"),
                "description": r.data.get("description", ""),
                "reasons": r.data.get("reasons", []),
            }
            for r in reversed(rows)
        ]

    def flaky(self, product: str | None = None) -> list[dict[str, Any]]:
        """Failures that passed when the same commit was built again, per product and signature, most
        frequent first: how often, the commits, first and last seen."""
        if product is not None:
            self.check_products([product])
        groups: dict[tuple[str, str], list] = {}
        for row in self.store.flaky(product):
            groups.setdefault((row.product, row.fingerprint), []).append(row)
        out = [
            {
                "product": name,
                "signature": fp,
                "kind": rows[0].kind,
                "summary": rows[0].summary,
                "flaked": len({r.commit for r in rows}),
                "commits": sorted({r.commit for r in rows}),
                "first_seen": rows[0].at.isoformat(timespec="seconds"),
                "last_seen": rows[-1].at.isoformat(timespec="seconds"),
            }
            for (name, fp), rows in groups.items()
        ]
        return sorted(out, key=lambda r: (-r["flaked"], r["product"], r["signature"]))

    def signatures(self, limit: int | None = 20) -> list[dict[str, Any]]:
        """The top failure causes across the fleet (one row per fingerprint: a root cause, whatever the
        product), most builds first (then the most recent): kind, fingerprint, cause, newest summary,
        builds and occurrences, products and where in each (``locations``), first / last seen, what fixed
        it (the fix templates learned for the fingerprint and the heal attempts on it that merged) and
        ``fixed_in``: the products where a green build followed it, and how."""
        groups: dict[str, list] = {}
        for r in self.store.signatures():
            groups.setdefault(r.fingerprint, []).append(r)
        templates: dict[str, list] = {}
        for t in self.store.templates():
            templates.setdefault(t.signature, []).append(t)
        merged: dict[str, list] = {}
        for a in self.store.all_heal_attempts():
            if a.status == "merged":
                merged.setdefault(a.signature, []).append(a)
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), -kv[1][-1].id))
        return [
            {
                "fingerprint": fp,
                "kind": rows[-1].kind,
                "cause": _cause_text(rows[-1]),
                "summary": rows[-1].summary,
                "builds": len({(r.product, r.commit) for r in rows}),
                "occurrences": sum(r.count for r in rows),
                "products": sorted({r.product for r in rows}),
                "locations": {
                    name: list(dict.fromkeys(_location_text(r) for r in rows if r.product == name))
                    for name in sorted({r.product for r in rows})
                },
                "fixed_in": self._fixed(fp, rows),
                "first_seen": rows[0].at.isoformat(timespec="seconds"),
                "last_seen": rows[-1].at.isoformat(timespec="seconds"),
                "fixed_by": {
                    "templates": [
                        {
                            "id": t.id,
                            "description": t.description,
                            "origin": t.origin,
                            "product": t.origin_product,
                            "successes": t.successes,
                            "failures": t.failures,
                        }
                        for t in templates.get(fp, [])
                    ],
                    "heals": [
                        {
                            "product": a.product,
                            "commit": a.commit,
                            "strategy": a.strategy,
                            "template": a.template,
                            "heal_commit": a.heal_commit,
                        }
                        for a in merged.get(fp, [])
                    ],
                },
            }
            for fp, rows in ranked[:limit]
        ]

    def heal_attempts(self, product: str, commit: str | None = None) -> list[dict[str, Any]]:
        """The heal attempts of ``product`` (of one red commit if given), in order, with their patches."""
        self.check_products([product])
        return [
            {
                "attempt": a.n,
                "commit": a.commit,
                "strategy": a.strategy,
                "template": a.template,
                "status": a.status,
                "branch": a.branch,
                "heal_commit": a.heal_commit,
                "lines": a.lines,
                "files": list(a.files or []),
                "reason": a.reason,
                "llm_calls": a.llm_calls,
                "patch": a.patch,
                "started_at": a.started_at.isoformat(timespec="seconds"),
            }
            for a in self.store.heal_attempts(product, commit)
        ]

    def slowdowns(self) -> list[dict[str, Any]]:
        """Products whose runs of an action kind are getting slower (a significant trend over their last
        runs, adjusted for change size and hour, not noise), biggest growth first."""
        return [
            {
                "product": s.product,
                "kind": s.kind,
                "runs": s.runs,
                "p": round(s.p, 6),
                "per_run": round(s.per_run, 4),
                "growth": round(s.growth, 4),
                "from_s": round(s.from_s, 3),
                "to_s": round(s.to_s, 3),
            }
            for s in slowdowns(history(self.store))
        ]

    def predictions(self, product: str) -> list[dict[str, Any]]:
        """Per action kind of ``product``: the predicted duration of its next run (at the product's
        typical change size, this hour), the runs it rests on, and the error so far: every recorded run
        predicted from the runs before it, the median absolute percentage error against Jenkins' estimate
        (the mean of the last three successful runs) on the same runs."""
        self.check_products([product])
        model = Predictor.fit(history(self.store))
        ci = str(self.desired.ci_kind(product))
        kinds = sorted({k for (p, k) in model.groups if p == product})
        out = []
        for kind in kinds:
            est = model.estimate(product, kind, Change(hour=self.context.now().hour), ci)
            err = backtest(model, product, kind)
            out.append(
                {
                    "kind": kind,
                    "predicted_s": None if est.seconds is None else round(est.seconds, 3),
                    "samples": est.samples,
                    "runs": len(model.history(product, kind)),
                    "backtested": err.runs,
                    "mdape": None if err.mdape is None else round(err.mdape, 4),
                    "jenkins_mdape": None if err.jenkins_mdape is None else round(err.jenkins_mdape, 4),
                }
            )
        return out

    def logs(self, action_id: str, run: int | None = None) -> dict[str, Any]:
        """The journal entry of ``action_id`` in run ``run`` (default: the newest run that has it): status,
        message, attempts, times and the captured, redacted output. ``ApiError`` if there is none."""
        rec = self.store.action_record(action_id, run)
        if rec is None:
            where = f" in run {run}" if run is not None else ""
            near = did_you_mean(action_id, self.store.action_ids())
            raise ApiError(
                f"no journaled action {action_id!r}{where}{near}: run `cmctl apply` first, or check the id"
            )
        return {
            "action": rec.action_id,
            "run": rec.run_id,
            "status": rec.status,
            "message": rec.text,
            "verdict": rec.verdict,  # blocked by the gate: deny | hold, and the rule that decided
            "rule": rec.rule,
            "attempts": rec.attempts,
            "started_at": rec.started_at.isoformat() if rec.started_at else None,
            "finished_at": rec.finished_at.isoformat() if rec.finished_at else None,
            "log": rec.log or "",
            "artifacts": (rec.outputs or {}).get("artifacts", {}),  # kept files (browser runs): path, sha256
        }

    def follow(self, action_id: str, run: int | None = None, poll: float = 0.5) -> Iterator[str]:
        """The action's output as it grows while it is pending or running (from any process applying),
        then the rest of its final log."""
        doc = self.logs(action_id, run)
        shown = ""
        while True:
            log = doc["log"]
            if log.startswith(shown):
                if log[len(shown) :]:
                    yield log[len(shown) :]
            else:  # the final log replaced the live one: show it whole after a marker
                yield "\n[final log]\n" + log
            shown = log
            if doc["status"] not in ("pending", "running"):
                return
            time.sleep(poll)
            doc = self.logs(action_id, doc["run"])

    def action(self, action_id: str) -> tuple[Plan, Action]:
        """Plan the action's product now and return the plan and the action (``ApiError`` if absent)."""
        product = action_id.split("/", 1)[0]
        if product not in self.desired.products:
            near = did_you_mean(product, self.desired.products)
            raise ApiError(f"no product {product!r}{near} in this fleet (action ids look like PRODUCT/KIND)")
        current = self.plan([product])
        try:
            return current, current.action(action_id)
        except KeyError:
            mine = [a.id for a in current.actions if a.product == product]
            raise ApiError(
                f"{action_id} is not in the current plan{did_you_mean(action_id, mine)} "
                f"(planned for {product}: {', '.join(mine) or 'none'})"
            ) from None

    def approvers(self, action: Action) -> set[str]:
        """Who may approve ``action``: the members of the holding rules' approvers (empty: anyone)."""
        spec = self.desired.constitution.spec
        traced = {t.rule for t in action.decision.trace}
        overlays = [r for rules in self.desired.overlays.values() for r in rules]
        holds = [r for r in [*spec.rules, *overlays] if r.hold and r.id in traced]
        return {m for r in holds for name in r.hold.approvers for m in spec.groups.get(name, [name])}

    def held(self, products: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every held action (of ``products``, all by default): who may approve it, what it would do
        (its params and reason), the product fingerprint an approval would bind to, and why earlier
        approvals lapsed (the decision's message says)."""
        current = self.plan(list(products) if products else None)
        out = []
        for a in current.actions:
            if a.decision.verdict is not Verdict.HOLD:
                continue
            out.append(
                {
                    "action": a.id,
                    "product": a.product,
                    "kind": str(a.kind),
                    "rule": a.decision.rule,
                    "approvers": sorted(self.approvers(a)),
                    "message": a.decision.message,
                    "reason": a.reason,
                    "params": dict(a.params),
                    "fingerprint": a.decision.fingerprint or current.products[a.product].fingerprint,
                }
            )
        return out

    def sources(
        self, products: Iterable[str], on_skip: Callable[[str, str], None] | None = None
    ) -> dict[str, dict[str, bytes]]:
        """Each product's source files at its branch head (supported languages), for indexing."""
        from codemonkeys.oracle.repo import read_files

        wanted = sorted(products)
        self.check_products(wanted)
        observer = Observer(self.desired, self.store, self.context, workers=self.workers)
        out: dict[str, dict[str, bytes]] = {}
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(wanted) or 1))) as pool:
                heads = dict(zip(wanted, pool.map(observer.observe_git, wanted), strict=True))
        finally:
            observer.http.close()
        for name, git in heads.items():
            if isinstance(git, Unknown):
                if on_skip:
                    on_skip(name, git.error)
                continue
            out[name] = read_files(
                observer.mirror(name), git.head, self.desired.products[name].spec.source.path
            )
        return out

    def search_index(self) -> Path:
        """Where the fleet's semantic search index lives."""
        return self.desired.state_dir / "oracle-search"

    def call_graph(self, product: str):
        """The call graph (networkx) of ``product`` at its branch head."""
        from codemonkeys.oracle.parse import language_for, parse_file
        from codemonkeys.oracle.store import call_graph

        files = self.sources([product]).get(product)
        if files is None:
            raise ApiError(f"cannot read {product}'s repository")
        return call_graph([parse_file(path, data) for path, data in files.items() if language_for(path)])


def _verdict_text(action: Action, mine) -> str:
    """An action the gate did not allow, as an obstacle: the verdict, the rule and its message with the
    approval command once (a held facet's message already says both: then only which rule holds it)."""
    d = action.decision
    hint = f"cmctl approve {action.id}"
    said = re.compile(re.escape(hint) + r"(?![\w./-])")  # not the command of another id it begins
    if d.rule == "forge":  # the forge's hold: no approval lifts it, a review or a check on the forge does
        return f"{action.id} {d.verdict} by {d.rule}: {d.message}"
    if d.verdict is Verdict.HOLD and any(said.search(f.message) for f in mine.facets.values()):
        return f"{action.id} held by {d.rule} (its facet says how to approve it)"
    how = f" ({hint})" if d.verdict is Verdict.HOLD and not said.search(d.message) else ""
    return f"{action.id} {d.verdict} by {d.rule}: {d.message}{how}"
