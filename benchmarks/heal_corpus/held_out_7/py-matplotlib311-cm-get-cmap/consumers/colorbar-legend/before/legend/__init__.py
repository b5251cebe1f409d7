"""Traffic-light colours for load levels, from a colormap registered by name."""
import matplotlib.cm as cm
from matplotlib.colors import LinearSegmentedColormap, to_hex

TRAFFIC = LinearSegmentedColormap.from_list("traffic", ["#2e7d32", "#f9a825", "#c62828"])
cm.register_cmap(name="traffic", cmap=TRAFFIC)


def level_color(fraction, name="traffic"):
    """Colour of a load level between 0 (idle) and 1 (saturated)."""
    cmap = cm.get_cmap(name)
    return to_hex(cmap(min(max(fraction, 0.0), 1.0)))


def swatches(n=3, name="traffic"):
    """n evenly spaced colours of the map, for a legend."""
    cmap = cm.get_cmap(name, n)
    return [to_hex(cmap(i)) for i in range(n)]
