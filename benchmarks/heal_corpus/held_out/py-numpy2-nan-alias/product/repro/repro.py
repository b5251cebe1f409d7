import numpy as np

exp_LSL = np.NaN
