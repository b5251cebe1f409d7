"""No-change observation (observe/gitcache.py) on real git repos: a local source whose refs did not move
is neither fetched nor read again, and its facts come back equal; a commit is seen at once."""

from __future__ import annotations

from pathlib import Path

import codemonkeys.observe as observe
from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.observe import Observer
from codemonkeys.repos import local_ref_state
from codemonkeys.repos import run as git


def _counting(monkeypatch, name: str) -> list[str]:
    calls: list[str] = []
    real = getattr(observe, name)
    monkeypatch.setattr(observe, name, lambda *a: calls.append(str(a[0])) or real(*a))
    return calls


def test_unmoved_refs_skip_the_fetch_and_the_read_and_a_commit_is_seen(workspace, monkeypatch):
    fs = FleetSession.open(workspace.fleet, Context.from_environ())
    name = sorted(n for n, p in fs.desired.products.items() if p.spec.release is not None)[0]
    source = Path(fs.desired.repo_location(name))
    first = Observer(fs.desired, fs.store, fs.context).observe_git(name)

    syncs, reads = _counting(monkeypatch, "sync_mirror"), _counting(monkeypatch, "fetch_git")
    again = Observer(fs.desired, fs.store, fs.context).observe_git(name)
    assert (syncs, reads) == ([], [])
    assert again == first

    (source / "CHANGES.md").write_text("more\n")
    git(["add", "CHANGES.md"], source)
    git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "fix: more"], source)
    moved = Observer(fs.desired, fs.store, fs.context).observe_git(name)
    assert len(syncs) == 1 and len(reads) == 1
    assert moved.head == git(["rev-parse", "HEAD"], source) != first.head
    assert [c.subject for c in moved.commits_since][:1] == ["fix: more"]

    # A session planning one product at a time (the controller's reconciles) observes the others' git
    # facts (what their manifests require) once, then reads them from what it kept.
    asked: list[list[str]] = []
    real = Observer.observe_git_facts
    monkeypatch.setattr(
        Observer, "observe_git_facts", lambda self, names: asked.append(list(names)) or real(self, names)
    )
    others = sorted(set(fs.desired.products) - fs.closure(name) - {name})
    fs.plan([name])
    fs.plan([name])
    assert others and asked == [others]  # every other product once (its closure is observed fresh)
    assert fs.known_git[name].git.head == moved.head  # the planned product's fresh facts are kept


def test_the_ref_digest_follows_branches_and_tags(tmp_path: Path):
    repo = tmp_path / "r"
    repo.mkdir()
    git(["init", "-q", "-b", "main"], repo)
    (repo / "f").write_text("1")
    git(["add", "f"], repo)
    git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one"], repo)
    first = local_ref_state(repo)
    assert first is not None and local_ref_state(repo) == first  # the same refs: the same digest
    git(["tag", "v1"], repo)
    tagged = local_ref_state(repo)
    assert tagged not in (None, first)
    git(["pack-refs", "--all"], repo)  # the same refs packed: a different digest is only a spare fetch
    packed = local_ref_state(repo)
    assert packed is not None and local_ref_state(repo) == packed
    git(["branch", "other"], repo)
    branched = local_ref_state(repo)
    assert branched not in (None, first, tagged, packed)
    assert local_ref_state(tmp_path / "nothing") is None


def test_facts_read_with_the_api_serve_a_plan_that_needs_only_the_manifests(workspace, monkeypatch):
    """A partial plan reads the others' git facts without the public API; the whole fleet's plan reads
    them with it. Neither evicts the other's kept facts (they used to, so each alternation re-read every
    repository)."""
    fs = FleetSession.open(workspace.fleet, Context.from_environ())
    name = sorted(n for n, p in fs.desired.products.items() if p.spec.docs is not None)[0]
    with_api = Observer(fs.desired, fs.store, fs.context).observe_git(name)
    assert with_api.api_fingerprint  # the public API was read

    reads = _counting(monkeypatch, "fetch_git")
    without = Observer(fs.desired, fs.store, fs.context).observe_git(name, api=False)
    assert reads == [] and without == with_api
    assert Observer(fs.desired, fs.store, fs.context).observe_git(name) == with_api
    assert reads == []


def test_fleet_packages_are_read_once_per_loaded_fleet_and_dropped_with_it(workspace):
    import gc

    from codemonkeys.load import load_fleet_or_raise

    desired = load_fleet_or_raise(workspace.fleet)
    first = observe.packages_of(desired)
    assert observe.packages_of(desired) is first  # a session's next plans: not read again
    assert observe.packages_of(load_fleet_or_raise(workspace.fleet)) is not first  # another load: read
    key = id(desired)
    del desired
    gc.collect()
    assert key not in observe._PACKAGES  # a fleet no longer referenced holds no entry
