import numpy as np


def uniform(k):
    w = np.ones(k, dtype=np.float)
    return w / w.sum()
