import pandas as pd

levelcounts = pd.Series({'a': 1, 'b': 2})
for k, _ in levelcounts.iteritems():
    pass
