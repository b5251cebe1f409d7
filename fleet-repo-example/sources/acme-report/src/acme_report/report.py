"""Small Markdown reports made of titled sections."""

import re
from dataclasses import dataclass, field
from typing import List, Optional

from acme_report.table import Table

try:  # acme-text is a declared dependency, but keep working without it.
    from acme_text import slugify as _slugify
except ImportError:  # pragma: no cover - exercised when acme-text is absent
    _slugify = None


def anchor(heading: str) -> str:
    """Return the URL fragment used to link to *heading*."""
    if _slugify is not None:
        return _slugify(heading)
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


@dataclass
class Section:
    """One ``##`` section: a heading, an optional paragraph and table."""

    heading: str
    body: Optional[str] = None
    table: Optional[Table] = None

    def to_markdown(self) -> str:
        parts = [f"## {self.heading}"]
        if self.body:
            parts.append(self.body.strip())
        if self.table is not None:
            parts.append(self.table.to_markdown())
        return "\n\n".join(parts)


@dataclass
class Report:
    """A titled Markdown document."""

    title: str
    sections: List[Section] = field(default_factory=list)

    def add_section(self, heading: str, body: Optional[str] = None,
                    table: Optional[Table] = None) -> Section:
        """Append a section and return it."""
        section = Section(heading, body, table)
        self.sections.append(section)
        return section

    def to_markdown(self, toc: bool = False) -> str:
        """Render the whole report; with *toc*, add a table of contents."""
        parts = [f"# {self.title}"]
        if toc and self.sections:
            parts.append("\n".join(f"- [{s.heading}](#{anchor(s.heading)})" for s in self.sections))
        parts.extend(s.to_markdown() for s in self.sections)
        return "\n\n".join(parts) + "\n"
