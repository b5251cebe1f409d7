"""announce.post: announce a released version on one of the fleet's channels (webhook, email, browser).

Idempotent: a version the journal records as announced on the channel is a noop; for a browser channel
whose macro has a ``verify`` block, the page is checked first, so a post that landed before a crash is
recorded (noop) instead of posted again. The message comes from the product's ``announce.template``
(Jinja2) over the release's values and its CHANGELOG section at the tag.

Browser runs keep a trace, screenshots and a video under ``<state>/announce/...``; their SHA-256 go
into the action's outputs (and so into the audit chain), and the screenshots prove the constitution's
``screenshot`` duty. Secrets (webhook key, SMTP login, a macro's ``secrets``) come from the environment
and are redacted from every message and log.

A failure leaves nothing recorded: the next plan posts again, except where ``verify`` finds the post.
A webhook that answered 5xx (after its retries) or an unreachable SMTP server is a transient failure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.announce.deliver import deliver, smtp_tls
from codemonkeys.announce.macro import (
    Browser,
    Macro,
    MacroError,
    MacroRun,
    ensure_ffmpeg,
    macro_values,
    run_macro,
)
from codemonkeys.announce.message import Release, RenderError, message_for
from codemonkeys.announce.record import announced_versions, artifact_dir, release_of
from codemonkeys.kinds.models import AuditDuty, BrowserChannel
from codemonkeys.vocab.plan import Action


def release_for(action: Action, ctx: ActContext) -> Release:
    """The release being announced: product, version, tag, its CHANGELOG section at the tag, links."""
    product = ctx.desired.products[action.product]
    links = dict(product.spec.announce.links) if product.spec.announce else {}
    version, tag = action.params["version"], action.params["tag"]
    return release_of(
        ctx.mirror(action.product), action.product, version, tag, product.spec.source.path, links
    )


def announce(action: Action, ctx: ActContext) -> ActionResult:
    """announce.post/<channel>: post the release note on the channel (see the module docstring)."""
    name, version = action.params["channel"], action.params["version"]
    channel = ctx.desired.fleet.spec.announce.channels.get(name)
    outputs = {"channel": name, "version": version}
    if channel is None:
        return ActionResult(Outcome.FAILED, f"channel {name!r} is not in the Fleet's spec.announce.channels")
    if version in announced_versions(ctx.store, action.product, name):
        return ActionResult(
            Outcome.NOOP, f"{version} is already announced on {name}", {**outputs, "announced": version}
        )
    release = release_for(action, ctx)
    template = ctx.desired.products[action.product].spec.announce
    try:
        if isinstance(channel, BrowserChannel):
            return _browser(action, ctx, channel, release)
        message = message_for(release, template.template if template else None)
        sent = deliver(
            channel,
            message,
            release.values(),
            root=ctx.desired.root,
            secret=ctx.context.secrets.at(ctx.desired.root).lookup,
            tls=smtp_tls(ctx.context.env),
        )
    except (RenderError, ValueError, OSError) as exc:
        return ActionResult(Outcome.FAILED, ctx.redact(f"{name}: {exc}"), outputs)
    log = f"{name}: {sent.message} after {sent.attempts} attempt(s)\n"
    if not sent.ok:
        return ActionResult(
            Outcome.FAILED, ctx.redact(f"{name}: {sent.message}"), outputs, log, sent.transient
        )
    outputs = {**outputs, "announced": version, "attempts": sent.attempts, "status": sent.status}
    return ActionResult(Outcome.SUCCEEDED, f"announced {release.product} {version} on {name}", outputs, log)


def _browser(action: Action, ctx: ActContext, channel: BrowserChannel, release: Release) -> ActionResult:
    path = ctx.desired.root / channel.macro
    outputs = {"channel": action.params["channel"], "version": release.version, "macro": channel.macro}
    try:
        macro = Macro.parse(path.read_text(), channel.macro)
    except (OSError, MacroError) as exc:
        return ActionResult(Outcome.FAILED, f"macro {channel.macro}: {exc}", outputs)
    values = macro_values(release.values(), channel.secrets, ctx.context.secrets.at(ctx.desired.root).lookup)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    no_video = ensure_ffmpeg(ctx.context.env, Path(ctx.context.env.get("HOME") or Path.home()))
    browser = Browser(
        executable=ctx.context.env.get("CM_CHROMIUM", Browser.executable), video=no_video is None
    )
    where = artifact_dir(
        ctx.desired.state_dir, action.product, outputs["channel"], release.version, "post", stamp
    )
    run = run_macro(macro.steps, values, where, browser, path.parent, ctx.redact)
    return browser_result(action, run, where, outputs, no_video)


def browser_result(
    action: Action, run: MacroRun, where: Path, outputs: dict, note: str | None
) -> ActionResult:
    """The action's result from a macro run: the kept files and their hashes in the outputs (the audit),
    the screenshots as the ``screenshot`` duty's proof."""
    hashes = run.hashes()
    outputs = {
        **outputs,
        "artifacts_dir": str(where),
        "artifacts": {name: {"path": str(run.artifacts[name]), "sha256": h} for name, h in hashes.items()},
    }
    log = "\n".join(
        [*run.log, *([note] if note else []), *(f"kept {n} sha256:{h}" for n, h in hashes.items())]
    )
    if not run.ok:
        step = f" at {run.failed_step}" if run.failed_step else ""
        shot = " (screenshot: failure.png)" if "failure.png" in hashes else ""
        outputs["failed_step"] = run.failed_step
        return ActionResult(Outcome.FAILED, f"the macro failed{step}: {run.error}{shot}", outputs, log + "\n")
    shots = [n for n in run.screenshots() if n in hashes]
    evidence = (
        {str(AuditDuty.SCREENSHOT): ", ".join(f"{n} sha256:{hashes[n]}" for n in shots)} if shots else {}
    )
    outputs["announced"] = outputs["version"]
    message = (
        f"announced {action.product} {outputs['version']} on {outputs['channel']} with {outputs['macro']}"
    )
    return ActionResult(Outcome.SUCCEEDED, message, outputs, log + "\n", evidence=evidence)
