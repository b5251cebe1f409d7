"""What an announcement says: the values a template or macro sees, and the rendering (Jinja2, sandboxed).

Values: ``product``, ``version``, ``tag``, ``changelog`` (the release's CHANGELOG section), ``links``
(the product's ``announce.links``) and, in macros only, ``secrets`` (the channel's declared secrets).
An undefined name is an error, so a typo in a template fails the action instead of posting a blank.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

DEFAULT_TEXT = "{{ product }} {{ version }} released"

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class RenderError(ValueError):
    """A template could not be rendered (syntax error, undefined name, refused by the sandbox, an operation
    that failed); the message names the template's line and no value."""


@dataclass(frozen=True)
class Release:
    """The released version an announcement is about."""

    product: str
    version: str
    tag: str
    changelog: str = ""
    links: Mapping[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """The template values (no secrets)."""
        return {
            "product": self.product,
            "version": self.version,
            "tag": self.tag,
            "changelog": self.changelog,
            "links": dict(self.links),
        }


def render(template: str, values: Mapping[str, Any]) -> str:
    """``template`` rendered with ``values``; if it cannot be, ``RenderError`` naming the template's line
    and what went wrong without the values: Jinja2's message (a syntax error, an undefined name, what
    the sandbox refused, a range too big for it), else only the error's type (``{{ 1 / 0 }}``: an
    operation's message may quote a value, and a macro's values are secrets)."""
    try:
        return _ENV.from_string(template).render(**values)
    except TemplateSyntaxError as exc:
        raise RenderError(f"template error at line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # the template's own failure, never the caller's: it is the fleet's text
        line = _template_line(exc.__traceback__)
        where = f" at line {line}" if line is not None else ""
        if isinstance(exc, TemplateError):
            what = exc.message or type(exc).__name__
        elif isinstance(exc, OverflowError):  # the sandbox's range limit says so in a fixed text
            what = str(exc)
        else:
            what = type(exc).__name__
        raise RenderError(f"template error{where}: {what}") from None


def _template_line(tb: TracebackType | None) -> int | None:
    """The template line an error was raised at: the innermost frame Jinja2 maps to the template."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def changelog_section(changelog: str | None, version: str) -> str:
    """The CHANGELOG section of ``version`` (``## <version> ...`` up to the next ``## ``), else ""."""
    if not changelog:
        return ""
    out: list[str] = []
    for line in changelog.splitlines():
        if line.startswith("## "):
            if out:
                break
            if line[3:].split(" ", 1)[0].strip() == version:
                out.append(line)
        elif out:
            out.append(line)
    return "\n".join(out).strip()


@dataclass(frozen=True)
class Message:
    """One announcement's text: a subject line and a body, as plain text and as HTML."""

    subject: str
    text: str

    @property
    def html(self) -> str:
        """The body as a small HTML document (escaped; lines kept)."""
        body = "<br>\n".join(html.escape(line) for line in self.text.splitlines())
        return f"<html><body><h2>{html.escape(self.subject)}</h2>\n<p>{body}</p></body></html>\n"


def message_for(release: Release, template: str | None) -> Message:
    """The announcement of ``release``: subject ``<product> <version> released``, body from the product's
    template (default: the subject and the changelog section)."""
    subject = render(DEFAULT_TEXT, release.values())
    if template:
        return Message(subject, render(template, release.values()).strip())
    text = subject + (f"\n\n{release.changelog}" if release.changelog else "")
    return Message(subject, text)
