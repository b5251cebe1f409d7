import numpy as np


def hann(n):
    out = np.zeros(n, dtype=np.float64)
    for i in range(n):
        out[i] = 0.5 - 0.5 * np.cos(2 * np.pi * i / max(n - 1, 1))
    return out
