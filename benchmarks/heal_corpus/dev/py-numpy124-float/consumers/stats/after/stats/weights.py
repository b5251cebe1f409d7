import numpy as np


def uniform(k):
    w = np.ones(k, dtype=float)
    return w / w.sum()
