"""Publishing a 50-page MkDocs site (issue 39): ``docs.publish`` to a git branch and to two web hosts over
real SSH, cold (first publish) and after a one-page change, against ``mkdocs build`` + ``ghp-import --push``
(what ``mkdocs gh-deploy`` runs) and ``mkdocs build`` + ``tar czf - site | ssh host 'tar xzf -'``, all
measured in this run.

Run from the project root, as root (it starts two Debian sshd on 127.0.0.61-62)::

    .venv/bin/python benchmarks/docs_publish.py [--runs 3] [--json]

Each run makes a fresh temporary fleet (a constitution allowing only ``docs.build`` and ``docs.publish``) with
two products whose repositories hold the same site: ``mkdocs.yml`` and 50 generated Markdown pages (about
5 KB each: headings, prose, lists, a table, code blocks, links between pages), no build facet. ``docs-git``
publishes to ``{type: git-branch, branch: gh-pages}`` (unversioned) of its own working copy, ``docs-ssh`` to
``{type: ssh, inventory, path}`` on both hosts. Ours is ``FleetSession.plan([product])`` +
``FleetSession.apply`` as ``cmctl apply -p product`` runs them: observe (the branch read back; the hosts
probed with Ansible), ``docs.build`` (``mkdocs build --strict`` under the product sandbox, with the code
graph's API pages), ``docs.publish`` (a commit through a private index and a push with a lease; a
``.tar.gz`` unpacked by Ansible into a new release directory and ``current`` switched), then the refresh
plan. The same is measured again after a commit changing one page. The action durations of
``docs.build`` and ``docs.publish`` are reported too.

Baselines, on a copy of the same repository: ``python -m mkdocs build --strict`` into a new directory;
``ghp-import -n -p -r pages -b gh-pages site`` pushing to a separate bare remote; ``tar czf - -C site . |
ssh root@host 'mkdir -p DIR && tar xzf - -C DIR'`` to both hosts in parallel (Ansible also runs them in
parallel). The baseline of a publish is the build plus the copy: ours covers both.

Bytes moved for the one-page change: git, the pack a push sends (recomputed in the remote once pushed:
``git pack-objects --revs --thin --stdout`` of the new head against every ref it had before), and how much
the remote's object store grew (loose objects + packs); ssh, the archive each host receives (our action's
``bytes`` output; the baseline's ``tar czf`` output). Reported: medians over ``--runs`` and each figure of
ours as a ratio to its baseline. Nothing is asserted; wall-clock on this machine.

Measured here (2 CPUs shared with other test runs, load 2-5; 3 runs; 3.2 MB site; the four-task
docs-publish.yml of ef94c08):

    target        when     ours   baseline  ratio   bytes for the change (ours vs baseline)
    git-branch    cold     2.94s     2.35s  1.25x
    git-branch    change   4.28s     5.68s  0.75x   pack 1.5 KiB vs 1.3 KiB
    ssh, 2 hosts  cold    23.95s     2.63s  9.10x
    ssh, 2 hosts  change  27.62s     6.57s  4.20x   951.7 KiB vs 952.3 KiB per host (the whole site)

The ssh target's time is Ansible's: the docs.publish playbook took 12-14 s (32-38 s with the first,
twelve-task playbook, on a more loaded machine) and each probe (the plan's observation and the refresh
after the apply) 4-6 s; the archive is the whole site on every change (no rsync).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.repos import run as git
from codemonkeys.store.models import ActionRecord

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers.sshhosts import PORT, SshHosts, start_hosts  # noqa: E402  (tests/ on the path first)

PAGES = 50
SECTIONS = ["guide", "howto", "reference", "concepts", "operations"]
VOCABULARY = (
    "the a of to and in is it that for on with as by this be are from or at an not which will can "
    "you your configuration server client request response token cache index release version build "
    "deploy product fleet option value default file directory path command output input error "
    "message retry timeout connection session record field schema table column query result page "
    "section example install upgrade migrate policy rule action plan apply observe state drift "
    "target branch host"
)
WORDS = VOCABULARY.split()
GIT_ID = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
CONSTITUTION = """\
apiVersion: codemonkeys.dev/v1
kind: Constitution
metadata: {name: docs-bench}
spec:
  default: deny
  rules:
    - id: allow-docs
      description: The docs are built and published.
      match:
        actions: [docs.build, docs.publish]
"""
PRODUCT = """\
apiVersion: codemonkeys.dev/v1
kind: Product
metadata: {{name: {name}}}
spec:
  source: {{repo: ../repos/{name}, branch: main}}
  language: python
  docs:
    publish: [{target}]
"""
GIT_TARGET = "{type: git-branch, branch: gh-pages}"
SSH_TARGET = "{type: ssh, inventory: inventories/docs.yml, path: /srv/docs}"


# --- the site ---------------------------------------------------------------------------------------


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _pages() -> list[str]:
    """The 50 pages' paths under docs/: index.md and the rest spread over the sections."""
    return ["index.md"] + [f"{SECTIONS[i % len(SECTIONS)]}/page-{i:02d}.md" for i in range(1, PAGES)]


def page_text(rel: str, pages: list[str], rng: random.Random) -> str:
    """One page of about 5 KB: a title, sections of prose, a list, a table, a code block, links."""
    title = Path(rel).stem.replace("-", " ").title()
    out = [f"# {title}", "", _paragraph(rng), ""]
    depth = len(Path(rel).parts) - 1
    for s in range(4):
        out += [f"## {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {s + 1}", "", _paragraph(rng), ""]
        if s == 0:
            out += [f"- {_sentence(rng)}" for _ in range(4)] + [""]
        if s == 1:
            out += ["| Option | Default | Meaning |", "|---|---|---|"]
            out += [
                f"| `{rng.choice(WORDS)}_{i}` | `{rng.randint(0, 99)}` | {_sentence(rng)} |" for i in range(5)
            ]
            out += [""]
        if s == 2:
            out += ["```python", "def handler(request):", '    """Handle one request."""']
            out += [f"    {rng.choice(WORDS)}_{i} = request.get({rng.choice(WORDS)!r})" for i in range(6)]
            out += ["    return response", "```", ""]
    others = rng.sample([p for p in pages if p != rel], 3)
    out += ["## See also", ""]
    out += [f"- [{Path(p).stem}]({'../' * depth}{p})" for p in others]
    return "\n".join(out) + "\n"


def write_site(repo: Path) -> None:
    """mkdocs.yml (the default theme, a nav of every page by section) and docs/ with the 50 pages."""
    pages = _pages()
    rng = random.Random(39)
    for rel in pages:
        path = repo / "docs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page_text(rel, pages, rng))
    nav = ["  - Home: index.md"]
    for section in SECTIONS:
        nav.append(f"  - {section.title()}:")
        nav += [f"    - {p}" for p in pages if p.startswith(f"{section}/")]
    (repo / "mkdocs.yml").write_text(
        "site_name: Bench Docs\nsite_description: A 50-page site.\ndocs_dir: docs\ntheme:\n  name: mkdocs\n"
        "nav:\n" + "\n".join(nav) + "\n"
    )
    (repo / "README.md").write_text("# bench docs\n")


def make_repo(repo: Path) -> None:
    """A git repository on ``main`` holding the site."""
    repo.mkdir(parents=True)
    write_site(repo)
    git(["init", "-q", "-b", "main"], repo)
    git(["add", "-A"], repo)
    git([*GIT_ID, "commit", "-qm", "docs: 50 pages"], repo)


CHANGED_PAGE = "guide/page-05.md"


def change_one_page(repo: Path, run: int) -> None:
    """Commit a new paragraph in one page (the one-page change)."""
    page = repo / "docs" / CHANGED_PAGE
    extra = _paragraph(random.Random(1000 + run))
    page.write_text(page.read_text() + f"\n## Update {run}\n\n{extra}\n")
    git(["add", "-A"], repo)
    git([*GIT_ID, "commit", "-qm", "docs: one page"], repo)


# --- measuring ---------------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def object_bytes(git_dir: Path) -> int:
    """Bytes of a repository's object store: loose objects and packs (indexes left out)."""
    objects = git_dir / "objects"
    total = 0
    for path in objects.rglob("*"):
        if not path.is_file() or path.parent.name == "info":
            continue
        if path.parent.name == "pack" and path.suffix != ".pack":
            continue
        total += path.stat().st_size
    return total


def refs(repo: Path) -> list[str]:
    out = git(["for-each-ref", "--format=%(objectname)"], repo)
    return sorted(set(out.split()))


def pushed_pack(repo: Path, new: str, before: list[str]) -> int:
    """Bytes of the pack a push of ``new`` sends to a remote that had ``before`` (computed in the remote)."""
    spec = "\n".join([new, *(f"^{r}" for r in before if r != new)]) + "\n"
    args = ["git", "pack-objects", "--revs", "--thin", "--stdout", "--delta-base-offset", "-q"]
    done = subprocess.run(args, cwd=repo, input=spec.encode(), capture_output=True, check=True)
    return len(done.stdout)


class Fleet:
    """One run's fleet: two products (a git-branch target, an ssh target), their repos, a session."""

    def __init__(self, root: Path, hosts: SshHosts, run: int, env: dict[str, str]):
        self.root = root
        self.repos = root / "repos"
        fleet = root / "fleet"
        (fleet / "products").mkdir(parents=True)
        (fleet / "inventories").mkdir()
        (fleet / "fleet.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: docs-bench}\nspec: {}\n"
        )
        (fleet / "constitution.yaml").write_text(CONSTITUTION)
        for name, target in (("docs-git", GIT_TARGET), ("docs-ssh", SSH_TARGET)):
            make_repo(self.repos / name)
            (fleet / "products" / f"{name}.yaml").write_text(PRODUCT.format(name=name, target=target))
        self.docs_paths = {h.name: h.root / f"docs-run{run}" for h in hosts.hosts}
        extra = {n: {"docs_path": str(p)} for n, p in self.docs_paths.items()}
        (fleet / "inventories" / "docs.yml").write_text(hosts.inventory(list(extra), extra))
        git(["init", "-q", "-b", "main"], fleet)
        git(["add", "-A"], fleet)
        git([*GIT_ID, "commit", "-qm", "fleet"], fleet)
        self.session = FleetSession.open(fleet, Context.from_environ(env))

    def reconcile(self, product: str) -> dict:
        """Plan and apply ``product`` as ``cmctl apply -p`` does; seconds and what the actions did."""
        fs = self.session
        start = time.perf_counter()
        plan = fs.plan([product])
        planned = time.perf_counter() - start
        kinds = sorted(a.kind for a in plan.actions)
        applied = fs.apply(plan)
        total = time.perf_counter() - start
        report = applied.report
        if not report.ok or not plan.actions:
            bad = [f"{o.action.id}: {o.status}: {o.text}" for o in report.outcomes.values()]
            raise RuntimeError(f"{product}: apply of {kinds} failed: {bad or plan.summary()}")
        if applied.after is not None and applied.after.actions:
            raise RuntimeError(f"{product}: not in sync after apply: {applied.after.summary()}")
        durations = {o.action.kind: o.duration for o in report.outcomes.values()}
        with fs.store.session() as s:
            rows = s.scalars(
                select(ActionRecord).where(
                    ActionRecord.run_id == report.run_id, ActionRecord.kind == "docs.publish"
                )
            ).all()
            outputs = rows[0].outputs if rows else {}
        return {
            "seconds": total,
            "plan": planned,
            "build": durations.get("docs.build", 0.0),
            "publish": durations.get("docs.publish", 0.0),
            "bytes": outputs.get("bytes", 0),
            "hosts": len(outputs.get("hosts", [])),
            "actions": kinds,
        }


class Baseline:
    """The same site by hand: mkdocs build, ghp-import --push to a bare remote, tar | ssh to the hosts."""

    def __init__(self, root: Path, hosts: SshHosts, run: int):
        self.root = root
        self.repo = root / "baseline"
        make_repo(self.repo)
        self.remote = root / "pages.git"
        git(["init", "-q", "--bare", str(self.remote)], root)
        git(["remote", "add", "pages", str(self.remote)], self.repo)
        self.hosts = hosts
        self.run = run
        self.builds = 0

    def build(self) -> tuple[float, Path]:
        """``mkdocs build --strict`` into a new directory; seconds and the site."""
        self.builds += 1
        site = self.root / f"site-{self.builds}"
        args = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "--site-dir", str(site)]
        seconds, _ = timed(lambda: subprocess.run(args, cwd=self.repo, check=True, capture_output=True))
        return seconds, site

    def ghp_import(self, site: Path) -> dict:
        """``ghp-import -n -p`` of ``site`` to the bare remote's gh-pages; seconds and bytes moved."""
        before, stored = refs(self.remote), object_bytes(self.remote)
        ghp = Path(sys.executable).parent / "ghp-import"
        args = [
            str(ghp),
            "-n",
            "-p",
            "-r",
            "pages",
            "-b",
            "gh-pages",
            "-m",
            "Deployed with ghp-import",
            str(site),
        ]
        seconds, _ = timed(lambda: subprocess.run(args, cwd=self.repo, check=True, capture_output=True))
        head = git(["rev-parse", "gh-pages"], self.remote)
        return {
            "seconds": seconds,
            "pack": pushed_pack(self.remote, head, before),
            "stored": object_bytes(self.remote) - stored,
        }

    def tar_ssh(self, site: Path, label: str) -> dict:
        """``tar czf - site | ssh host 'tar xzf - -C DIR'`` to every host at once; seconds, bytes per host."""
        procs = []
        start = time.perf_counter()
        for h in self.hosts.hosts:
            dest = h.root / f"baseline-run{self.run}" / label
            ssh = (
                f"ssh -i {self.hosts.key} -o UserKnownHostsFile={self.hosts.known_hosts} "
                f"-o StrictHostKeyChecking=yes -o BatchMode=yes -p {PORT} root@{h.address}"
            )
            cmd = f"set -o pipefail; tar czf - -C {site} . | {ssh} 'mkdir -p {dest} && tar xzf - -C {dest}'"
            procs.append(
                subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            )
        for p in procs:
            _, err = p.communicate()
            if p.returncode != 0:
                raise RuntimeError(f"tar | ssh failed: {err.decode()[-500:]}")
        seconds = time.perf_counter() - start
        size = len(
            subprocess.run(["tar", "czf", "-", "-C", str(site), "."], capture_output=True, check=True).stdout
        )
        return {"seconds": seconds, "bytes": size}


def one_run(base: Path, hosts: SshHosts, run: int, env: dict[str, str]) -> dict:
    """Every figure of one run, with fresh repositories, fleet state and host directories."""
    root = base / f"run{run}"
    root.mkdir()
    fleet, bl = Fleet(root, hosts, run, env), Baseline(root, hosts, run)
    out: dict[str, dict] = {}
    # cold: the first publish
    build_cold, site = bl.build()
    ghp_cold = bl.ghp_import(site)
    tar_cold = bl.tar_ssh(site, "cold")
    git_repo = fleet.repos / "docs-git"
    before, stored = refs(git_repo), object_bytes(git_repo / ".git")
    git_cold = fleet.reconcile("docs-git")
    git_cold["pack"] = pushed_pack(git_repo, git(["rev-parse", "gh-pages"], git_repo), before)
    git_cold["stored"] = object_bytes(git_repo / ".git") - stored
    ssh_cold = fleet.reconcile("docs-ssh")
    # one page changed
    for repo in (bl.repo, git_repo, fleet.repos / "docs-ssh"):
        change_one_page(repo, run)
    build_change, site = bl.build()
    ghp_change = bl.ghp_import(site)
    tar_change = bl.tar_ssh(site, "change")
    before, stored = refs(git_repo), object_bytes(git_repo / ".git")
    git_change = fleet.reconcile("docs-git")
    git_change["pack"] = pushed_pack(git_repo, git(["rev-parse", "gh-pages"], git_repo), before)
    git_change["stored"] = object_bytes(git_repo / ".git") - stored
    ssh_change = fleet.reconcile("docs-ssh")
    html = sum(1 for _ in site.rglob("*.html"))
    out["site"] = {"html_pages": html, "bytes": sum(p.stat().st_size for p in site.rglob("*") if p.is_file())}
    out["mkdocs_build"] = {"cold": build_cold, "change": build_change}
    out["git"] = {
        "ours": {"cold": git_cold, "change": git_change},
        "baseline": {"cold": ghp_cold, "change": ghp_change},
    }
    out["ssh"] = {
        "ours": {"cold": ssh_cold, "change": ssh_change},
        "baseline": {"cold": tar_cold, "change": tar_change},
    }
    fleet.session.store.engine.dispose()
    shutil.rmtree(root, ignore_errors=True)
    for h in hosts.hosts:
        shutil.rmtree(h.root / f"docs-run{run}", ignore_errors=True)
        shutil.rmtree(h.root / f"baseline-run{run}", ignore_errors=True)
    return out


# --- report ------------------------------------------------------------------------------------------


def _at(doc: dict, path: tuple[str, ...]) -> float:
    for key in path:
        doc = doc[key]
    return doc  # type: ignore[return-value]


def _median(runs: list[dict], *path: str) -> float:
    return statistics.median(_at(r, path) for r in runs)


def summarize(runs: list[dict]) -> dict:
    """Medians over the runs, and ours / baseline."""
    site = runs[0]["site"]
    result: dict = {
        "runs": len(runs),
        "pages": PAGES,
        "site_html_pages": site["html_pages"],
        "site_bytes": site["bytes"],
        "hosts": 2,
    }
    result["mkdocs_build_s"] = {w: round(_median(runs, "mkdocs_build", w), 3) for w in ("cold", "change")}
    for target, copy in (("git", "ghp-import -n -p"), ("ssh", "tar czf | ssh, 2 hosts at once")):
        t: dict = {"baseline_copy": copy}
        for when in ("cold", "change"):
            ours = ("ours", when)
            totals = [r["mkdocs_build"][when] + r[target]["baseline"][when]["seconds"] for r in runs]
            ours_s = _median([r[target] for r in runs], *ours, "seconds")
            base_s = statistics.median(totals)
            copy_s = _median([r[target] for r in runs], "baseline", when, "seconds")
            publish_s = _median([r[target] for r in runs], *ours, "publish")
            row = {
                "ours_s": round(ours_s, 3),
                "ours_plan_s": round(_median([r[target] for r in runs], *ours, "plan"), 3),
                "ours_build_action_s": round(_median([r[target] for r in runs], *ours, "build"), 3),
                "ours_publish_action_s": round(publish_s, 3),
                "baseline_build_s": result["mkdocs_build_s"][when],
                "baseline_copy_s": round(copy_s, 3),
                "baseline_s": round(base_s, 3),
                "ratio": round(ours_s / base_s, 2),
                "publish_action_vs_copy": round(publish_s / copy_s, 2),
            }
            if target == "git":
                for k in ("pack", "stored"):
                    ours_b = _median([r["git"] for r in runs], *ours, k)
                    base_b = _median([r["git"] for r in runs], "baseline", when, k)
                    row[f"ours_{k}_bytes"] = int(ours_b)
                    row[f"baseline_{k}_bytes"] = int(base_b)
                    row[f"{k}_ratio"] = round(ours_b / base_b, 2) if base_b else None
            else:
                ours_b = _median([r["ssh"] for r in runs], *ours, "bytes")
                base_b = _median([r["ssh"] for r in runs], "baseline", when, "bytes")
                row["ours_bytes_per_host"] = int(ours_b)
                row["baseline_bytes_per_host"] = int(base_b)
                row["bytes_ratio"] = round(ours_b / base_b, 2) if base_b else None
                row["ours_hosts_published"] = int(_median([r["ssh"] for r in runs], *ours, "hosts"))
            t[when] = row
        result[target] = t
    return result


def _kb(n: int) -> str:
    return f"{n / 1024:,.1f} KiB"


def print_table(r: dict) -> None:
    """The medians as a table, ratios ours / baseline."""
    print(
        f"{r['pages']} Markdown pages -> {r['site_html_pages']} HTML files, site {_kb(r['site_bytes'])}; "
        f"medians of {r['runs']} runs"
    )
    b = r["mkdocs_build_s"]
    print(f"mkdocs build --strict alone: cold {b['cold']:.2f} s, after a one-page change {b['change']:.2f} s")
    print("ours = plan + apply: observe (plan), docs.build and docs.publish actions, the refresh plan")
    print()
    head = ("target", "when", "ours", "plan", "build", "publish", "baseline", "build+copy", "ratio")
    print("{:<24} {:<7} {:>7} {:>7} {:>7} {:>8} {:>9} {:>12} {:>7}".format(*head))
    for target, label in (("git", "git-branch / ghp-import"), ("ssh", "ssh 2 hosts / tar|ssh")):
        for when in ("cold", "change"):
            x = r[target][when]
            split = f"{x['baseline_build_s']:.2f}+{x['baseline_copy_s']:.2f}"
            print(
                f"{label:<24} {when:<7} {x['ours_s']:>6.2f}s {x['ours_plan_s']:>6.2f}s "
                f"{x['ours_build_action_s']:>6.2f}s {x['ours_publish_action_s']:>7.2f}s "
                f"{x['baseline_s']:>8.2f}s {split:>12} {x['ratio']:>6.2f}x"
            )
    print()
    print("docs.publish action alone / the baseline's copy alone:")
    for target in ("git", "ssh"):
        x = r[target]
        print(
            f"  {target}: cold {x['cold']['publish_action_vs_copy']:.2f}x, "
            f"one-page change {x['change']['publish_action_vs_copy']:.2f}x"
        )
    print()
    print("bytes moved, ours vs baseline:")
    for when in ("cold", "change"):
        g = r["git"][when]
        print(
            f"  git {when:<6}  pack pushed {_kb(g['ours_pack_bytes']):>11} vs "
            f"{_kb(g['baseline_pack_bytes']):>11} ({g['pack_ratio']}x); remote's objects grew "
            f"{_kb(g['ours_stored_bytes']):>11} vs {_kb(g['baseline_stored_bytes']):>11} "
            f"({g['stored_ratio']}x)"
        )
    for when in ("cold", "change"):
        x = r["ssh"][when]
        print(
            f"  ssh {when:<6}  archive per host {_kb(x['ours_bytes_per_host']):>11} vs "
            f"{_kb(x['baseline_bytes_per_host']):>11} ({x['bytes_ratio']}x), "
            f"ours sent to {x['ours_hosts_published']} hosts"
        )


def main(argv: list[str] | None = None) -> int:
    """Start the hosts, measure ``--runs`` times, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    base = Path(tempfile.mkdtemp(prefix="cm-bench-docs-publish-"))
    hosts = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the hosts and temp dirs are cleaned up
    try:
        hosts = start_hosts(base / "ssh", 2, first_octet=61)
        load = os.getloadavg()[0]
        runs = []
        for i in range(args.runs):
            runs.append(one_run(base, hosts, i, env))
            if not args.json:
                print(f"run {i + 1}/{args.runs} done", file=sys.stderr)
        result = summarize(runs)
        result["load_before"] = round(load, 2)
        result["load_after"] = round(os.getloadavg()[0], 2)
        result["cpus"] = os.cpu_count()
    finally:
        if hosts is not None:
            hosts.close()
        shutil.rmtree(base, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
        before, after = result["load_before"], result["load_after"]
        print(f"\nload average {before} before, {after} after, {result['cpus']} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
