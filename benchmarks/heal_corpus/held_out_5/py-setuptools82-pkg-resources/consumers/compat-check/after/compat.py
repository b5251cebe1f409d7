"""Check that the tools a deployment script drives are installed in a recent enough version."""

from importlib import metadata

from packaging import version


def installed_version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def is_supported(dist, minimum):
    found = installed_version(dist)
    return found is not None and version.parse(found) >= version.parse(minimum)
