import json
import os

import click

from cloudsmith_cli import __version__


@click.group()
@click.version_option(__version__, prog_name="cloudsmith")
def main():
    """A small package-repository command line."""


@main.command()
@click.option("--api-key", envvar="CLOUDSMITH_API_KEY", default=None)
def whoami(api_key):
    """Show who the API key belongs to."""
    if not api_key:
        click.echo("Warning: no API key given, using anonymous access", err=True)
        click.echo("anonymous")
        return
    click.echo("user-" + api_key[-4:])


@main.command(name="list")
@click.argument("owner_repo")
@click.option("--output-format", "-F", type=click.Choice(["pretty", "json"]), default="pretty")
def list_packages(owner_repo, output_format):
    """List the packages of OWNER/REPO."""
    if "/" not in owner_repo:
        raise click.BadParameter("expected OWNER/REPO", param_hint="OWNER_REPO")
    owner, repo = owner_repo.split("/", 1)
    packages = [{"name": "{}-tools".format(repo), "version": "1.0.{}".format(i)} for i in range(2)]
    if output_format == "json":
        click.echo(json.dumps({"owner": owner, "data": packages}))
    else:
        for pkg in packages:
            click.echo("{name} {version}".format(**pkg))
        click.echo("Results: {} packages".format(len(packages)), err=True)
