"""acme_report: render small plain-text and Markdown tables and reports."""

from acme_report.report import Report, Section
from acme_report.table import Table

__all__ = ["Report", "Section", "Table"]
