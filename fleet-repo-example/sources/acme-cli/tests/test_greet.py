import pytest

from acme_cli.__main__ import main


def test_greet(capsys):
    assert main(["greet", "Ada"]) == 0
    assert capsys.readouterr().out == "Hello, Ada!\n"


def test_greet_shout(capsys):
    assert main(["greet", "Ada", "--shout"]) == 0
    assert capsys.readouterr().out == "HELLO, ADA!\n"


def test_missing_command_is_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("acme ")
