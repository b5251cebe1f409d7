import numpy as np
import pandas as pd


def dump(system, f=None, prop_name=None, header=True, float_format='%.5f'):
    """Per-atom properties as a space-separated table."""
    if prop_name is None:
        prop_name = sorted(system.props)
    df = pd.DataFrame()
    for name in prop_name:
        values = np.asarray(system.props[name])
        if values.ndim == 1:
            df[name] = values
        else:
            for i in range(values.shape[1]):
                df['{}[{}]'.format(name, i)] = values[:, i]

    table = df.to_csv(path_or_buf=f, sep=' ', index=None,
                      header=header,
                      float_format=float_format,
                      encoding='ascii',
                      line_terminator='\n',
                      )

    returns = []
    if f is None:
        returns.append(table)
    if len(returns) == 1:
        return returns[0]
