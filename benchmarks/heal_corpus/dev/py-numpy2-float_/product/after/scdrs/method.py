"""Weighted spread of a signal over a neighbour graph."""

import numpy as np


def spread(weights, signal):
    """weights: square array of neighbour weights; signal: one value per node."""
    weights = np.asarray(weights)
    assert weights.shape[0] == weights.shape[1]
    flat = weights.ravel().astype(np.float64, copy=False)
    assert weights.shape[0] == len(signal)
    assert np.ndim(signal) == 1

    total_weight = flat.sum()
    nodes = weights.shape[0]
    centre = np.mean(signal)
    signal = np.asarray(signal).astype(np.float64)

    # pairwise squared differences, weighted
    diffs = (signal[:, None] - signal[None, :]) ** 2
    return float((weights * diffs).sum() / (2 * total_weight)) if nodes and centre is not None else 0.0


if __name__ == "__main__":
    print(spread([[0, 1], [1, 0]], [1, 3]))
