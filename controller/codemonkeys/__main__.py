"""``python -m codemonkeys`` is ``cmctl``."""

from codemonkeys.cli.launch import main

main()
