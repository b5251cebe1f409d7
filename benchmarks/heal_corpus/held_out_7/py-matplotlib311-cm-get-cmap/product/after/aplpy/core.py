"""FITSFigure: a matplotlib figure around one 2-D image array."""
import numpy as np
import matplotlib.pyplot as plt


class FITSFigure(object):
    """A figure showing a 2-D array as an image, with optional contour layers.

    The real data would come from a FITS file; here any 2-D array-like.
    """

    def __init__(self, data, figure=None, figsize=(5, 5)):
        self._data = np.asarray(data, dtype=float)
        if self._data.ndim != 2:
            raise ValueError("FITSFigure needs a 2-D array, got %d dimension(s)" % self._data.ndim)
        self._figure = figure if figure is not None else plt.figure(figsize=figsize)
        self.ax = self._figure.add_subplot(1, 1, 1)
        self.image = None
        self._layers = {}
        self._contour_counter = 0
        self._figure.apl_grayscale_invert_default = False
        self._figure.apl_colorscale_cmap_default = 'viridis'

    def show_colorscale(self, vmin=None, vmax=None, pmin=0.25, pmax=99.75, cmap=None):
        """Show the image with a colour scale (a colormap name, or the theme's default)."""
        if cmap is None:
            cmap = self._figure.apl_colorscale_cmap_default

        min_auto = vmin is None
        max_auto = vmax is None

        # The set of available functions
        cmap = plt.get_cmap(cmap)

        if min_auto or max_auto:
            finite = self._data[np.isfinite(self._data)]
            if min_auto:
                vmin = float(np.percentile(finite, pmin))
            if max_auto:
                vmax = float(np.percentile(finite, pmax))

        if self.image is None:
            self.image = self.ax.imshow(self._data, cmap=cmap, vmin=vmin, vmax=vmax,
                                        origin='lower', interpolation='nearest')
        else:
            self.image.set_cmap(cmap)
            self.image.set_clim(vmin, vmax)
        return self.image

    def show_grayscale(self, vmin=None, vmax=None, invert='default', **kwargs):
        """Show the image in gray levels (inverted in the publication theme)."""
        if invert == 'default':
            invert = self._figure.apl_grayscale_invert_default
        return self.show_colorscale(vmin=vmin, vmax=vmax, cmap='gist_yarg' if invert else 'gray', **kwargs)

    def show_contour(self, data=None, layer=None, levels=5, colors=None, cmap=None, **kwargs):
        """Overlay contours of data (default: the image itself) as a named layer."""
        if layer:
            self.remove_layer(layer, raise_exception=False)

        if cmap:
            cmap = plt.get_cmap(cmap)
        elif not colors:
            cmap = plt.get_cmap('viridis')

        data_contour = self._data if data is None else np.asarray(data, dtype=float)
        contour_set = self.ax.contour(data_contour, levels=levels, colors=colors, cmap=cmap, **kwargs)

        if not layer:
            self._contour_counter += 1
            layer = 'contour_set_%i' % self._contour_counter
        self._layers[layer] = contour_set
        return contour_set

    def get_layer(self, layer):
        return self._layers[layer]

    def remove_layer(self, layer, raise_exception=True):
        if layer in self._layers:
            self._layers.pop(layer).remove()
        elif raise_exception:
            raise ValueError("Layer %s does not exist" % layer)

    def set_theme(self, theme):
        """'pretty' (colour, for screens) or 'publication' (black on white, for print)."""
        if theme == 'pretty':
            for spine in self.ax.spines.values():
                spine.set_color('white')
                spine.set_linewidth(1.0)
            self.ax.tick_params(colors='white')
            self._figure.apl_grayscale_invert_default = False
            self._figure.apl_colorscale_cmap_default = 'viridis'
            if self.image:
                self.image.set_cmap(cmap=plt.get_cmap('viridis'))
        elif theme == 'publication':
            for spine in self.ax.spines.values():
                spine.set_color('black')
                spine.set_linewidth(1.0)
            self.ax.tick_params(colors='black')
            self._figure.apl_grayscale_invert_default = True
            self._figure.apl_colorscale_cmap_default = 'gist_heat'
            if self.image:
                self.image.set_cmap(cmap=plt.get_cmap('gist_yarg'))
        else:
            raise ValueError("Unknown theme: %s" % theme)

    def save(self, filename, dpi=72):
        self._figure.savefig(filename, dpi=dpi)

    def close(self):
        plt.close(self._figure)
