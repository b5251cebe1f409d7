"""Cross-match two star catalogues by their integer source ids."""

import numpy as np


def matched(ids_a, ids_b):
    """Ids of catalogue a that also are in catalogue b (both unique)."""
    ids_a = np.asarray(ids_a)
    return ids_a[np.isin(ids_a, ids_b, assume_unique=True)]


def unmatched_fraction(ids_a, ids_b):
    ids_a = np.asarray(ids_a)
    missing = ~np.isin(ids_a, ids_b, assume_unique=True)
    return float(missing.mean())
