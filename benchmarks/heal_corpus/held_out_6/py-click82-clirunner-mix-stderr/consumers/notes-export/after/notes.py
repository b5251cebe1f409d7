import click

NOTES = {"todo": ["buy milk", "file taxes"], "ideas": []}


@click.command()
@click.argument("notebook")
def export(notebook):
    """Print a notebook's notes, one per line."""
    notes = NOTES.get(notebook)
    if notes is None:
        raise click.ClickException("no notebook named {}".format(notebook))
    if not notes:
        click.echo("warning: {} is empty".format(notebook), err=True)
    for note in notes:
        click.echo("- " + note)
