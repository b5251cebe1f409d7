import json

from cloudsmith_cli.cli.commands import main


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == "cloudsmith, version 1.8.3\n"


def test_whoami_anonymous(runner):
    result = runner.invoke(main, ["whoami"], env={"CLOUDSMITH_API_KEY": None})
    assert result.exit_code == 0
    assert result.stdout == "anonymous\n"
    assert "no API key" in result.stderr


def test_list_json(runner):
    result = runner.invoke(main, ["list", "acme/tools", "-F", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["owner"] == "acme"
    assert [p["version"] for p in data["data"]] == ["1.0.0", "1.0.1"]


def test_list_pretty(runner):
    result = runner.invoke(main, ["list", "acme/tools"])
    assert result.stdout.splitlines() == ["tools-tools 1.0.0", "tools-tools 1.0.1"]
    assert result.stderr == "Results: 2 packages\n"


def test_list_bad_repo(runner):
    result = runner.invoke(main, ["list", "acme"])
    assert result.exit_code == 2
    assert "expected OWNER/REPO" in result.stderr


def test_whoami_live(runner, api_key):
    result = runner.invoke(main, ["whoami", "--api-key", api_key])
    assert result.exit_code == 0
