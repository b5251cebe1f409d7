import os

import click.testing
import pytest


def _get_env_var_or_skip(key):
    """Return the environment variable or skip the test."""
    value = os.environ.get(key)
    if value is None:
        pytest.skip("{} is not set".format(key))
    return value


@pytest.fixture()
def runner():
    """Return a CliRunner with which to run Commands."""
    return click.testing.CliRunner()


@pytest.fixture()
def api_key():
    return _get_env_var_or_skip("CLOUDSMITH_TEST_API_KEY")
