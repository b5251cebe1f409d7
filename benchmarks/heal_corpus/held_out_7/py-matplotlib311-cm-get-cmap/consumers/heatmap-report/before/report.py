"""Render a table of numbers as a colour-coded HTML heatmap."""
from matplotlib.cm import get_cmap
from matplotlib.colors import Normalize, to_hex


def cell_colors(rows, cmap_name="magma", steps=8):
    """Hex colour of every cell: the values binned into `steps` colours of the colormap."""
    cmap = get_cmap(cmap_name, steps)
    values = [v for row in rows for v in row]
    norm = Normalize(vmin=min(values), vmax=max(values))
    return [[to_hex(cmap(norm(v))) for v in row] for row in rows]


def render(rows, labels, cmap_name="magma"):
    colors = cell_colors(rows, cmap_name)
    out = ["<table>"]
    for label, row, row_colors in zip(labels, rows, colors):
        cells = "".join('<td style="background:%s">%s</td>' % (c, v) for v, c in zip(row, row_colors))
        out.append("<tr><th>%s</th>%s</tr>" % (label, cells))
    out.append("</table>")
    return "\n".join(out)
