"""Playwright macros: announce on a site without an API by driving a real browser (Debian's Chromium).

A macro is a YAML document ``{steps: [...], verify?: [...]}``; each step has one key:
``goto: URL``, ``fill: {selector, value}``, ``click: SELECTOR``, ``press: {selector, key}``,
``upload: {selector, file}``, ``wait_for: SELECTOR``, ``expect_text: TEXT``, ``assert_url: PATTERN``
(a regular expression searched in the page's URL), ``screenshot: NAME``. Strings are Jinja2 templates
over ``product``, ``version``, ``tag``, ``changelog``, ``links.*`` and ``secrets.NAME``; the log names
steps by their selectors only, never a filled value.

A run is headless, in a fresh browser context, with a Playwright trace (``trace.zip``), a screenshot
after every ``screenshot`` step (``NAME.png``) and at a failure (``failure.png``), and a video of the
whole run (``video.webm``; Playwright records it with ffmpeg, linked from Debian's where Playwright looks,
see ``ensure_ffmpeg``). Every file is kept in the run's directory and returned with its SHA-256.
Parsing is pure; ``run_macro`` is the I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codemonkeys.announce.message import RenderError, render

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STEP_KEYS = (
    "goto",
    "fill",
    "click",
    "press",
    "upload",
    "wait_for",
    "expect_text",
    "assert_url",
    "screenshot",
)
_FIELDS = {"fill": ("selector", "value"), "press": ("selector", "key"), "upload": ("selector", "file")}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class MacroError(ValueError):
    """The macro document is invalid (the message names the step)."""


@dataclass(frozen=True)
class Step:
    """One macro step: its 1-based number in its block, its key and its (unrendered) argument."""

    n: int
    key: str
    arg: Any

    def describe(self) -> str:
        """The step as the log shows it: the key and the selector or URL template, never a value."""
        if self.key in _FIELDS:
            return f"{self.key} {self.arg['selector']!r}"
        return f"{self.key} {self.arg!r}"


@dataclass(frozen=True)
class Macro:
    """A parsed macro: the steps that post, and the steps that check a post is there (may be empty)."""

    steps: tuple[Step, ...]
    verify: tuple[Step, ...] = ()

    @classmethod
    def parse(cls, text: str, where: str = "macro") -> Macro:
        """Pure: parse and check a macro document; ``MacroError`` names the first bad step."""
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise MacroError(f"{where}: not YAML: {exc}") from None
        if not isinstance(doc, dict) or set(doc) - {"steps", "verify"} or "steps" not in doc:
            raise MacroError(f"{where}: a macro is a mapping with `steps` and an optional `verify`")
        return cls(
            _steps(doc["steps"], f"{where}: steps"), _steps(doc.get("verify") or [], f"{where}: verify")
        )


def _steps(raw: Any, where: str) -> tuple[Step, ...]:
    if not isinstance(raw, list) or (where.endswith("steps") and not raw):
        raise MacroError(f"{where}: expected a non-empty list of steps")
    out = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict) or len(item) != 1:
            raise MacroError(
                f"{where}[{n}]: a step is a mapping with exactly one key of {', '.join(STEP_KEYS)}"
            )
        ((key, arg),) = item.items()
        if key not in STEP_KEYS:
            raise MacroError(f"{where}[{n}]: unknown step {key!r} (one of {', '.join(STEP_KEYS)})")
        if key in _FIELDS:
            if not isinstance(arg, dict) or set(arg) != set(_FIELDS[key]):
                raise MacroError(f"{where}[{n}]: {key} takes {{{', '.join(_FIELDS[key])}}}")
        elif not isinstance(arg, str) or not arg:
            raise MacroError(f"{where}[{n}]: {key} takes a string")
        if key == "screenshot" and not _NAME.match(arg):
            raise MacroError(f"{where}[{n}]: screenshot name {arg!r}: letters, digits, '_', '.', '-'")
        out.append(Step(n, key, arg))
    return tuple(out)


def macro_values(
    release_values: Mapping[str, Any], names: Sequence[Any], secret: Callable[[Any], str | None]
):
    """The values a macro sees: the release's, and ``secrets`` holding only the channel's declared names."""
    return {**release_values, "secrets": {getattr(n, "secret_ref", n): secret(n) or "" for n in names}}


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class MacroRun:
    """What a macro run did: ok, the failing step (``"steps[3] click 'button'"``) and error, the kept
    files (name -> path) and the log."""

    ok: bool
    failed_step: str | None = None
    failed_key: str | None = None
    error: str = ""
    artifacts: dict[str, Path] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def hashes(self) -> dict[str, str]:
        """File name -> SHA-256 of every kept file."""
        return {name: sha256_file(path) for name, path in sorted(self.artifacts.items()) if path.is_file()}

    def screenshots(self) -> list[str]:
        """The names of the screenshots taken (``failure.png`` included)."""
        return [name for name in sorted(self.artifacts) if name.endswith(".png")]


def ensure_ffmpeg(env: Mapping[str, str], home: Path) -> str | None:
    """Link Debian's ffmpeg where Playwright looks for its own (``<browsers path>/ffmpeg-<rev>/ffmpeg-linux``;
    nothing is downloaded). Returns why video cannot be recorded, None when it can."""
    import playwright

    system = shutil.which("ffmpeg", path=env.get("PATH"))
    if system is None:
        return "no ffmpeg on PATH (Debian package ffmpeg): no video"
    browsers = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    try:
        revision = next(
            b["revision"] for b in json.loads(browsers.read_text())["browsers"] if b["name"] == "ffmpeg"
        )
    except (OSError, ValueError, StopIteration):
        return "cannot tell which ffmpeg this Playwright expects: no video"
    root = (
        Path(env["PLAYWRIGHT_BROWSERS_PATH"])
        if env.get("PLAYWRIGHT_BROWSERS_PATH")
        else home / ".cache" / "ms-playwright"
    )
    target = root / f"ffmpeg-{revision}" / "ffmpeg-linux"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # a dangling link
        target.symlink_to(system)
    return None


@dataclass(frozen=True)
class Browser:
    """How to start the browser: Debian's Chromium, headless, the project's flags, per-step timeout."""

    executable: str = CHROMIUM
    step_timeout: float = 10.0  # seconds a step may wait for its selector / text / URL
    video: bool = True
    trace: bool = True


def run_macro(
    steps: Sequence[Step],
    values: Mapping[str, Any],
    out_dir: Path,
    browser: Browser,
    base_dir: Path,
    redact: Callable[[str], str] = lambda s: s,
) -> MacroRun:
    """Run ``steps`` in a fresh headless context; keep trace, screenshots and video in ``out_dir``.
    Stops at the first failing step (a ``failure.png`` shows the page then). Never raises for a failing
    page or a missing browser: the result says what failed."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    run = MacroRun(ok=False)
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path=browser.executable, headless=True, args=CHROMIUM_ARGS
            )
            try:
                _in_context(chromium, steps, values, out_dir, browser, base_dir, redact, run)
            finally:
                chromium.close()
    except PlaywrightError as exc:  # the browser itself (not a step) failed
        run.ok, run.error = False, redact(_first_line(str(exc)))
        run.log.append(f"browser: {run.error}")
    return run


def _in_context(
    chromium, steps, values, out_dir: Path, browser: Browser, base_dir: Path, redact, run: MacroRun
):
    video_dir = out_dir / ".video"
    context = chromium.new_context(
        record_video_dir=str(video_dir) if browser.video else None, viewport={"width": 1280, "height": 800}
    )
    if browser.trace:
        context.tracing.start(screenshots=True, snapshots=True)
    page = context.new_page()
    page.set_default_timeout(browser.step_timeout * 1000)
    try:
        run.ok = _steps_run(page, steps, values, out_dir, base_dir, redact, run)
    finally:
        if browser.trace:
            context.tracing.stop(path=str(out_dir / "trace.zip"))
            run.artifacts["trace.zip"] = out_dir / "trace.zip"
        video = page.video
        context.close()  # writes the video
        if video is not None:
            target = out_dir / "video.webm"
            video.save_as(str(target))
            run.artifacts["video.webm"] = target
        shutil.rmtree(video_dir, ignore_errors=True)


def _steps_run(page, steps, values, out_dir: Path, base_dir: Path, redact, run: MacroRun) -> bool:
    from playwright.sync_api import Error as PlaywrightError

    for step in steps:
        label = f"step {step.n} ({step.describe()})"
        try:
            _do(page, step, values, out_dir, base_dir, run)
        except (PlaywrightError, RenderError, AssertionError, OSError) as exc:
            run.failed_step, run.failed_key = label, step.key
            run.error = redact(_first_line(str(exc)) or type(exc).__name__)
            run.log.append(f"{label}: FAILED: {run.error}")
            try:
                page.screenshot(path=str(out_dir / "failure.png"), full_page=True)
                run.artifacts["failure.png"] = out_dir / "failure.png"
            except PlaywrightError:
                run.log.append("no screenshot at the failure: the page is gone")
            return False
        run.log.append(redact(f"{label}: ok" + (f" ({page.url})" if step.key == "goto" else "")))
    return True


def _do(page, step: Step, values, out_dir: Path, base_dir: Path, run: MacroRun) -> None:
    arg = (
        {k: render(v, values) for k, v in step.arg.items()}
        if isinstance(step.arg, dict)
        else render(step.arg, values)
    )
    key = step.key
    if key == "goto":
        response = page.goto(arg)
        if response is not None and response.status >= 400:
            raise AssertionError(f"HTTP {response.status}")
    elif key == "fill":
        page.fill(arg["selector"], arg["value"])
    elif key == "click":
        page.click(arg)
    elif key == "press":
        page.press(arg["selector"], arg["key"])
    elif key == "upload":
        page.set_input_files(arg["selector"], str((base_dir / arg["file"]).resolve()))
    elif key == "wait_for":
        page.wait_for_selector(arg)
    elif key == "expect_text":
        page.get_by_text(arg, exact=False).first.wait_for(state="visible")
    elif key == "assert_url":
        page.wait_for_url(re.compile(arg))
    elif key == "screenshot":
        path = out_dir / f"{arg}.png"
        page.screenshot(path=str(path), full_page=True)
        run.artifacts[path.name] = path


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
