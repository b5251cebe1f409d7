"""Share of a sample outside its limits."""

import numpy as np


class OutOfLimits:
    def __init__(self, sample, low=np.inf * -1, high=np.inf):
        self.sample = np.asarray(sample, dtype=float)
        self.low = low
        self.high = high
        self.centre = self.sample.mean()

        self.below = np.nan
        if not np.isinf(low):
            self.below = np.mean(self.sample < low) * 100
        self.above = np.nan
        if not np.isinf(high):
            self.above = np.mean(self.sample > high) * 100
        self.inside = 100 - np.nansum([self.below, self.above])


if __name__ == "__main__":
    print(OutOfLimits([1, 2, 3, 4], low=1.5).inside)
