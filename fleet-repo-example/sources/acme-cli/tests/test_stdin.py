import io

from acme_cli.__main__ import count_stream, main


def test_count_stream():
    assert count_stream(io.StringIO("a b\n\nc\n")) == (3, 3, 7)


def test_count_reads_stdin_by_default(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("one two\n"))
    assert main(["count"]) == 0
    assert capsys.readouterr().out.split() == ["1", "2", "8", "-"]


def test_dash_means_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["count", "-"]) == 0
    assert capsys.readouterr().out.split() == ["0", "0", "0", "-"]
