import numpy as np


def spacing(n):
    steps = np.arange(n).astype(float) / n
    return steps
