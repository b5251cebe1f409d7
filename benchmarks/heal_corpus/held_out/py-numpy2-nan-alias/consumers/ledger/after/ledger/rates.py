import numpy as np


class Rate:
    def __init__(self, value=None):
        self.value = np.nan if value is None else value
