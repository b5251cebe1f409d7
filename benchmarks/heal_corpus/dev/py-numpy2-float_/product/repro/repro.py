import numpy as np

vals = np.arange(3)
vals = vals.astype(np.float_)
