"""Utilities related to data structures such as lists, arrays and dictionaries."""

import numpy as np


def array_split_chunksize(x, chunksize):
    """Split an array into chunks of at most `chunksize` items."""
    if chunksize < 1:
        raise ValueError("chunksize must be at least 1")
    return [x[i : i + chunksize] for i in range(0, len(x), chunksize)]


def isfinite_struct(x, names=None):
    """Check which entries of a structured array are finite in every field."""
    if names is None:
        names = x.dtype.names
    return np.all([np.isfinite(x[n]) for n in names], axis=0)


def get_subset_arrays(indices, *args):
    """Index every array with the same indices."""
    return tuple(a[indices] for a in args)


def get_inverse_indices(n, indices):
    """Get the indices of the points in range(n) that are not in `indices`."""
    indices = np.asarray(indices, dtype=int)
    if indices.size == 0:
        return np.arange(n, dtype=int)
    if indices.max() >= n:
        raise ValueError("Indices contain values that are out of range for n")
    inv = np.arange(n, dtype=int)
    return inv[~np.isin(inv, indices)]
