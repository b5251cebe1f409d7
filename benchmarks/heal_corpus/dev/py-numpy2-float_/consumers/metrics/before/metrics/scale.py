import numpy as np


def normalize(values):
    arr = np.asarray(values).astype(np.float_)
    return (arr - arr.min()) / (arr.max() - arr.min())
