import numpy as np


def tile_count(grid_shape):
    """How many tiles a grid of the given shape holds."""
    return int(np.prod(grid_shape))


def weighted_volumes(extents, weights):
    """Volume of each box (one row of extents per box), scaled by its weight."""
    extents = np.asarray(extents, dtype=float)
    return np.prod(extents, axis=1) * np.asarray(weights)
