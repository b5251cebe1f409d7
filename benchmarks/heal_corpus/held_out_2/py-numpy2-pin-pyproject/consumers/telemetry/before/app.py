import pandas as pd
import tables

readings = pd.DataFrame({"sensor": ["a", "b", "c"], "value": [1.5, 2.0, 0.25]})

# an HDF5 file kept in memory only
with tables.open_file("readings.h5", "w", driver="H5FD_CORE", driver_core_backing_store=0) as h5:
    h5.create_array("/", "values", readings["value"].to_numpy())
    print(h5.root.values.read().sum())
