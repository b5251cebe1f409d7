"""API reference pages from the code graph: public symbols only, no tests, byte-for-byte reproducible,
and a MkDocs nav that includes them."""

from __future__ import annotations

from codemonkeys.oracle.apidocs import is_test_file, render_pages, with_api_nav
from codemonkeys.oracle.parse import parse_file

SOURCE = b'''"""Text helpers."""

__all__ = ["slugify"]


def slugify(text: str, sep: str = "-") -> str:
    """Make a URL slug."""
    return text


def _private(x):
    return x
'''


def graphs():
    return [
        parse_file("src/pkg/text.py", SOURCE),
        parse_file("tests/test_text.py", b"def test_it():\n    assert 1 + 1 == 2\n"),
    ]


def test_pages_hold_public_symbols_only_and_are_reproducible():
    pages = render_pages(graphs())
    assert sorted(pages) == ["api/index.md", "api/pkg.text.md"]
    page = pages["api/pkg.text.md"]
    assert "`pkg.text.slugify`" in page and "Make a URL slug." in page and "sep" in page
    assert "_private" not in page
    assert render_pages(list(reversed(graphs()))) == pages  # same input, same bytes, any order


def test_nav_gets_an_api_section_and_attr_list():
    pages = render_pages(graphs())
    config = with_api_nav({"site_name": "x", "nav": ["index.md"]}, pages)
    assert config["nav"] == ["index.md", {"API reference": ["api/index.md", "api/pkg.text.md"]}]
    assert "attr_list" in config["markdown_extensions"]


def test_test_files_are_recognized():
    assert (
        is_test_file("tests/test_x.py") and is_test_file("pkg/test_y.py") and is_test_file("test/a.test.js")
    )
    assert not is_test_file("src/pkg/text.py") and not is_test_file("src/testing.py")
