import pytest

from acme_text import truncate


def test_short_text_unchanged():
    assert truncate("short", 10) == "short"


def test_cuts_at_word_boundary():
    assert truncate("The quick brown fox", 12) == "The quick…"


def test_custom_suffix_counts_toward_width():
    result = truncate("The quick brown fox", 12, suffix="...")
    assert result == "The quick..."
    assert len(result) <= 12


def test_long_single_word():
    assert truncate("abcdefghij", 5) == "abcd…"


def test_width_smaller_than_suffix():
    with pytest.raises(ValueError):
        truncate("abc", 1, suffix="...")
