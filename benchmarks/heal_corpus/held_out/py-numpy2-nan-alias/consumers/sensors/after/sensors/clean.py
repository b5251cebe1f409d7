import numpy as np


def mask(readings):
    arr = np.asarray(readings, dtype=float)
    arr[arr < 0] = np.nan
    return arr
