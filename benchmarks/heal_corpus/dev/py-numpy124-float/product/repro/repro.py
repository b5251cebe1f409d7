import numpy as np

vec = np.arange(1, 4)
psiterms = (10 - vec).astype(np.float) / 2.0
