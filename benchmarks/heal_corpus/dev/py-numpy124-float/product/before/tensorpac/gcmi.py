"""Rank statistics on small samples."""

import numpy as np


def half_ranks(values, correct=True):
    values = np.asarray(values)
    ranks = np.argsort(np.argsort(values))
    if correct:
        offsets = np.arange(1, values.size + 1)
        halves = (values.size - offsets).astype(np.float) / 2.0
        return ranks + halves[::-1]
    return ranks


if __name__ == "__main__":
    print(half_ranks([3.0, 1.0, 2.0]))
