import click


@click.command()
@click.argument("version")
@click.option("--dry-run", is_flag=True)
def tag(version, dry_run):
    """Tag a release."""
    if not version.startswith("v"):
        click.echo("error: version must start with 'v'", err=True)
        raise SystemExit(1)
    click.echo("would tag {}".format(version) if dry_run else "tagged {}".format(version))
