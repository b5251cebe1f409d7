import numpy as np
import pandas as pd


def dump(system, f=None, float_format='%.13f', timestep=0):
    """LAMMPS-style dump text: a header, then one line per atom."""
    header = 'ITEM: TIMESTEP\n{}\nITEM: NUMBER OF ATOMS\n{}\nITEM: BOX BOUNDS pp pp pp\n'.format(timestep, system.natoms)
    for lo, hi in system.box:
        header += '{} {}\n'.format(float_format % lo, float_format % hi)
    header += 'ITEM: ATOMS id type x y z\n'
    body = table_dump(system, float_format=float_format)
    text = header + body
    if f is None:
        return text
    f.write(text)


def table_dump(system, f=None, float_format='%.13f'):
    df = pd.DataFrame({'id': np.arange(1, system.natoms + 1), 'type': system.props['atype']})
    pos = np.asarray(system.props['pos'], dtype=float)
    df['x'] = pos[:, 0]
    df['y'] = pos[:, 1]
    df['z'] = pos[:, 2]

    # Generate table
    sep = ' '
    return df.to_csv(path_or_buf=f, sep=sep, index=None, header=False,
                     float_format=float_format, line_terminator='\n')
