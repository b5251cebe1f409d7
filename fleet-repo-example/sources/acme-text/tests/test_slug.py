from acme_text import slugify


def test_basic():
    assert slugify("Hello, World!") == "hello-world"


def test_strips_accents():
    assert slugify("Héllo Wörld") == "hello-world"


def test_custom_separator():
    assert slugify("Release Notes", separator="_") == "release_notes"


def test_trims_separators():
    assert slugify("  --Hello--  ") == "hello"


def test_collapses_repeated_separators():
    assert slugify("Release  --  Notes", separator="_") == "release_notes"
    assert slugify("a__b", separator="_") == "a_b"
