"""Select the samples of a dataset whose label is (or is not) in a set."""

import numpy as np


def keep_labels(X, y, labels):
    mask = np.isin(y, labels)
    return X[mask], y[mask]


def drop_labels(X, y, labels):
    mask = np.isin(y, labels, invert=True)
    return X[mask], y[mask]
