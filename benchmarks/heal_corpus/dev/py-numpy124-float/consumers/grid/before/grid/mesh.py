import numpy as np


def spacing(n):
    steps = np.arange(n).astype(np.float) / n
    return steps
