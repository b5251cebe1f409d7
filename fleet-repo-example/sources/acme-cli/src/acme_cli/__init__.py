"""acme_cli: the ``acme`` command-line tool."""

from importlib import metadata

try:
    __version__ = metadata.version("acme-cli")
except metadata.PackageNotFoundError:  # running from a source checkout
    __version__ = "0+unknown"
