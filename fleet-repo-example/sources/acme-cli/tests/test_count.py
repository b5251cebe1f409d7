from acme_cli.__main__ import main


def test_count_files(tmp_path, capsys):
    a = tmp_path / "a.txt"
    a.write_text("hello world\nbye\n", encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text("one two three\n", encoding="utf-8")
    assert main(["count", str(a), str(b)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["2", "3", "16", str(a)]
    assert lines[1].split() == ["1", "3", "14", str(b)]
    assert lines[2].split() == ["3", "6", "30", "total"]


def test_count_missing_file_reports_error(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("x\n", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    assert main(["count", str(missing), str(good)]) == 1
    captured = capsys.readouterr()
    assert "missing.txt" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out.splitlines()[0].split() == ["1", "1", "2", str(good)]
