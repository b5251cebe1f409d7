"""Candidate patches for build.heal: a fix template instantiated on the red commit, or the local LLM's
diff; and their validation before anything is built (``facets/heal/actuators.py`` orchestrates)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codemonkeys.facets.heal.failure import excerpt, locations, manifests
from codemonkeys.facets.heal.patches import check_patch, inspect_patch
from codemonkeys.repos import GitError, Mirror
from codemonkeys.swarm.knowledge import failure_summaries
from codemonkeys.swarm.templates import FixTemplate, instantiate_fitting, match

if TYPE_CHECKING:
    from codemonkeys.act.base import ActContext
    from codemonkeys.kinds.models import Heal
    from codemonkeys.vocab.plan import Action

HISTORY = 3  # recent human commits per failing file shown to the model


@dataclass
class Candidate:
    """A candidate patch (``diff`` empty: none could be made, ``reason`` says why)."""

    diff: str = ""
    files: list[str] = field(default_factory=list)
    lines: int = 0
    reason: str = ""
    llm_calls: int = 0
    model: str = ""
    outage: str = ""  # the LLM's endpoint when it could not be used (down, timed out, 5xx, no model)


def template_candidate(action: Action, ctx: ActContext, files: dict[str, str], log: str) -> Candidate:
    """The attempt's fix template (named by the plan) instantiated on the red commit's files, for every
    failure of the build it fits."""

    tid = action.params.get("template")
    record = next((t for t in ctx.store.templates() if t.id == tid), None)
    if record is None:
        return Candidate(reason=f"fix template {tid} is not on record")
    template = FixTemplate.from_json(record.data)
    summaries = [s.summary for s in failure_summaries(ctx.store, action.product, action.params["commit"])]
    if all(match(template, s) is None for s in summaries):
        return Candidate(reason=f"fix template {tid} does not fit this failure")
    hints = [loc.path for loc in locations(log, files)]
    patch = instantiate_fitting(template, summaries, files, hints)  # every failure it fits, at once
    if patch is None:
        return Candidate(reason=f"fix template {tid} ({record.description}) changes nothing in this product")
    return Candidate(patch.diff, list(patch.files), patch.lines)


def llm_candidate(action: Action, ctx: ActContext, files: dict[str, str], log: str) -> Candidate:
    """A patch from the local LLM (``Fleet.spec.llm.ollama``), asked with the normalized failure, the
    code it points at and its neighbours, the manifest of a dependency error (Cargo.toml, package.json,
    pyproject.toml) and the last human commits that touched those files."""
    from codemonkeys.facets.heal.llm import (
        DEFAULT_HOST,
        DEFAULT_OPTIONS,
        LLMError,
        OllamaSettings,
        ask_for_patch,
        safe_host,
    )
    from codemonkeys.facets.heal.prompt import build_messages, gather_context
    from codemonkeys.kinds.credentials import credentials_for
    from codemonkeys.kinds.models import Credentials
    from codemonkeys.secrets import SecretError

    config = ctx.desired.fleet.spec.llm.ollama
    if config is None:
        return Candidate(reason="no LLM is configured (Fleet spec.llm.ollama)")
    host = config.host or ctx.context.env.get("OLLAMA_HOST") or DEFAULT_HOST
    try:
        creds = credentials_for(ctx.desired, action.product, "ollama") or Credentials()
        token = ctx.context.secrets.at(ctx.desired.root).credential(
            creds.token_env, creds.token, "the Ollama token"
        )
    except SecretError as exc:
        return Candidate(reason=f"the LLM cannot be asked: {exc}")
    settings = OllamaSettings(
        host=host,
        model=config.model,
        options={**DEFAULT_OPTIONS, **config.options},
        timeout=config.timeout,
        token=token,
    )
    where = locations(log, files)
    failure = excerpt(log, files=files)
    near = _near(action, ctx, failure, files)
    deps = manifests(log, files, [w.path for w in where])
    history = _history(action, ctx, [w.path for w in where][:2] + [m.path for m in deps])
    context = gather_context(where, files, history=history, near=near, manifests=deps)
    messages = build_messages(failure, context)
    try:
        answer = ask_for_patch(settings, messages, files)
    except LLMError as exc:
        down = safe_host(host) if exc.transient or exc.missing_model else ""
        return Candidate(reason=f"the LLM failed: {ctx.redact(exc.message)}", llm_calls=1, outage=down)
    if not answer.diff:
        return Candidate(reason=f"the reply of {answer.model} had no diff", llm_calls=1, model=answer.model)
    try:
        info = inspect_patch(answer.diff)
    except ValueError as exc:
        return Candidate(reason=f"the reply of {answer.model} is not a usable diff: {exc}", llm_calls=1)
    return Candidate(
        answer.diff, list(info.files), info.added + info.removed, llm_calls=1, model=answer.model
    )


NEAR = 4  # semantically near chunks from the oracle's search index, when the fleet has one


def _near(action: Action, ctx: ActContext, failure: str, files: dict[str, str]) -> list[tuple[str, int, str]]:
    """Code near the failure in meaning: the oracle's hybrid search (``cmctl oracle index``) over the
    product, queried with the failure; nothing when the fleet has no index or the [search] extra."""
    db = ctx.desired.state_dir / "oracle-search"
    if not db.is_dir():
        return []
    try:
        from codemonkeys.oracle.embed import Embedder, EmbedderUnavailable
        from codemonkeys.oracle.search import search
    except ImportError:
        return []
    try:
        hits = search(db, failure[:1000], Embedder(), product=action.product, limit=NEAR)
    except (EmbedderUnavailable, OSError, ValueError):
        return []
    out = []
    for hit in hits:
        text = files.get(hit.path)
        if text is not None:
            lines = text.splitlines()[max(hit.line - 1, 0) : hit.line + 14]
            out.append((hit.path, hit.line, "\n".join(lines)))
    return out


def _history(action: Action, ctx: ActContext, paths: list[str]) -> list[tuple[str, str, str]]:
    """The last human commits (no heal commits) that touched the failing files: (sha, subject, diff)."""
    commit = action.params["commit"]
    out: list[tuple[str, str, str]] = []
    with Mirror(ctx.mirror(action.product)) as repo:
        for path in dict.fromkeys(paths[:3]):
            for sha, subject, body in repo.log(commit, path, limit=HISTORY):
                if "Heal-Attempt:" in body or any(sha[:12] == s for s, _, _ in out):
                    continue  # a heal commit, or a commit already shown for another failing file
                try:
                    diff = repo.diff(f"{sha}~1", sha, path)
                except GitError:  # the first commit
                    diff = ""
                out.append((sha[:12], subject, ctx.redact(diff)[:1500]))
    return out


def validate(action: Action, ctx: ActContext, diff: str, heal: Heal) -> list[str]:
    """The patch's problems (empty: it may be built): the checks of ``heal.patches.check_patch`` with
    the product's allowed paths and size limit, then ``git apply --check`` on the red commit."""
    problems = check_patch(diff, allowed=heal.paths, max_lines=heal.max_lines)
    if problems:
        return problems
    patch = ctx.work_dir / f"check-{action.product}-{action.params['attempt']}.patch"
    patch.write_text(diff if diff.endswith("\n") else diff + "\n")
    try:
        with (
            Mirror(ctx.mirror(action.product)) as repo,
            repo.worktree(action.params["commit"], ctx.work_dir) as tree,
        ):
            tree.apply(patch, check=True)
    except GitError as exc:
        return [f"git apply --check: {ctx.redact(exc.stderr)[:300]}"]
    finally:
        patch.unlink(missing_ok=True)
    return []
