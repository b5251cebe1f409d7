"""Detections of a simulated survey, kept as a DataFrame and written to HDF5."""

import numpy as np
import pandas as pd
import tables


def detections(count=5, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"object": np.arange(count), "mag": rng.normal(21.0, 0.5, count).round(2)})


def summary():
    frame = detections()
    return f"{len(frame)} detections, mean magnitude {frame['mag'].mean():.2f} (PyTables {tables.__version__})"
