from itertools import product

import numpy


def cell_centres(dims, spacing=1.0):
    """Centres of every cell of a regular grid, in C order."""
    count = numpy.prod(dims)
    centres = numpy.empty((count, len(dims)))
    for row, index in enumerate(product(*(range(d) for d in dims))):
        centres[row] = (numpy.asarray(index) + 0.5) * spacing
    return centres
