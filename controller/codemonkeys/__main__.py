"""``python -m codemonkeys`` is ``cmctl``."""

from codemonkeys.cli.main import app

app(prog_name="cmctl")
