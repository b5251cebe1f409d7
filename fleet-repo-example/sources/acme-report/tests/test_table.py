import pytest

from acme_report import Table


def test_text_table_right_aligns_numbers():
    t = Table(["name", "count"], [["apples", 3], ["kiwis", 12]])
    assert t.to_text() == (
        "name   | count\n"
        "-------+------\n"
        "apples |     3\n"
        "kiwis  |    12"
    )


def test_markdown_table():
    t = Table(["name", "count"], [["apples", 3], ["kiwis", 12]])
    assert t.to_markdown().splitlines() == [
        "| name   | count |",
        "| :----- | ----: |",
        "| apples |     3 |",
        "| kiwis  |    12 |",
    ]


def test_explicit_alignment_and_none():
    t = Table(["a", "b"], [["x", None]], align="cr")
    assert t.to_markdown().splitlines()[1] == "| :-: | --: |"
    assert t.to_text().splitlines()[2] == "x |"


def test_row_length_mismatch():
    with pytest.raises(ValueError):
        Table(["a", "b"], [["only one"]])


def test_bad_alignment():
    with pytest.raises(ValueError):
        Table(["a"], [["x"]], align="z")


def test_markdown_escapes_pipes():
    t = Table(["expr"], [["a|b"]])
    assert t.to_markdown().splitlines()[2] == "| a\\|b |"
