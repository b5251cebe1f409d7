from acme_report import Report, Table
from acme_report.report import anchor


def test_anchor():
    assert anchor("Release Notes 1.2") == "release-notes-1-2"


def test_report_markdown():
    report = Report("Weekly status")
    report.add_section("Summary", "All green.")
    report.add_section("Latency", table=Table(["svc", "ms"], [["api", 41]]))
    assert report.to_markdown() == (
        "# Weekly status\n\n"
        "## Summary\n\nAll green.\n\n"
        "## Latency\n\n"
        "| svc | ms  |\n| :-- | --: |\n| api |  41 |\n"
    )


def test_report_toc():
    report = Report("R")
    report.add_section("First Part")
    report.add_section("Second")
    lines = report.to_markdown(toc=True).splitlines()
    assert lines[2:4] == ["- [First Part](#first-part)", "- [Second](#second)"]
