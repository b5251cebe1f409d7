"""acme_text: small, dependency-free text helpers."""

from acme_text.slug import slugify
from acme_text.truncate import truncate
from acme_text.wrap import fill, wrap

__all__ = ["fill", "slugify", "truncate", "wrap"]
