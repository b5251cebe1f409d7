import numpy as np


def normalize(values):
    arr = np.asarray(values).astype(np.float64)
    return (arr - arr.min()) / (arr.max() - arr.min())
