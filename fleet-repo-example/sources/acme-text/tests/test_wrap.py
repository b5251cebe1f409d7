import pytest

from acme_text import fill, wrap


def test_wrap_greedy():
    assert wrap("the quick brown fox jumps", width=10) == ["the quick", "brown fox", "jumps"]


def test_wrap_normalises_whitespace():
    assert wrap("  a   b \n c ", width=80) == ["a b c"]


def test_wrap_splits_long_words():
    assert wrap("abcdefgh ij", width=3) == ["abc", "def", "gh", "ij"]


def test_wrap_empty():
    assert wrap("", width=5) == []


def test_wrap_rejects_bad_width():
    with pytest.raises(ValueError):
        wrap("x", width=0)


def test_fill():
    assert fill("one two three", width=7) == "one two\nthree"
