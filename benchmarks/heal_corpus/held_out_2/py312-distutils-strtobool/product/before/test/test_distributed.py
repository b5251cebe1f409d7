"""A distributed sum checked against the single-rank one (ranks simulated in one process).

Each case runs in a subprocess of its own, configured through _MESH_TEST_* environment variables.
"""

import os
import subprocess
import sys
from functools import reduce


def _partition(values, nranks):
    return [values[rank::nranks] for rank in range(nranks)]


def _distributed_sum(values, nranks, via_allreduce):
    partial = [sum(chunk) for chunk in _partition(values, nranks)]
    if via_allreduce:
        # every rank ends up holding the total
        totals = [sum(partial)] * nranks
    else:
        # the partial sums travel to rank 0, one message each
        totals = [reduce(lambda a, b: a + b, partial)]
    return totals[0]


def _test_against_single_rank(nranks, nvalues, via_allreduce):
    values = [((i * 7919) % 1000) / 10.0 for i in range(nvalues)]
    expected = sum(values)
    got = _distributed_sum(values, nranks, via_allreduce)
    assert abs(got - expected) <= 1e-9 * max(1.0, abs(expected)), (got, expected)
    print(f"ranks={nranks} values={nvalues} allreduce={via_allreduce}: ok")


def test_against_single_rank():
    for nranks, allreduce in [(2, "True"), (3, "False")]:
        env = dict(os.environ,
                   _MESH_TEST_NAME="single_rank",
                   _MESH_TEST_NRANKS=str(nranks),
                   _MESH_TEST_NVALUES="500",
                   _MESH_TEST_ALLREDUCE=allreduce)
        subprocess.run([sys.executable, __file__], env=env, check=True)


if __name__ == "__main__":
    if "_MESH_TEST_NAME" in os.environ:
        name = os.environ["_MESH_TEST_NAME"]
        if name == "single_rank":
            nranks = int(os.environ["_MESH_TEST_NRANKS"])
            nvalues = int(os.environ["_MESH_TEST_NVALUES"])

            from distutils.util import strtobool
            via_allreduce = bool(
                strtobool(os.environ["_MESH_TEST_ALLREDUCE"]))

            _test_against_single_rank(nranks, nvalues, via_allreduce)
        else:
            raise ValueError(f"unknown test: {name!r}")
    else:
        test_against_single_rank()
