"""Check that the tools a deployment script drives are installed in a recent enough version."""

import pkg_resources


def installed_version(dist):
    try:
        return pkg_resources.get_distribution(dist).version
    except pkg_resources.DistributionNotFound:
        return None


def is_supported(dist, minimum):
    found = installed_version(dist)
    return found is not None and pkg_resources.parse_version(found) >= pkg_resources.parse_version(minimum)
