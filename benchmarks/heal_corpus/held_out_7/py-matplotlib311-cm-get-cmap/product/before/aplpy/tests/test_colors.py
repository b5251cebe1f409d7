import os
import tempfile
import unittest

import matplotlib
matplotlib.use('Agg')

import numpy as np

from aplpy import FITSFigure


def gaussian(n=32, sigma=6.0):
    y, x = np.mgrid[0:n, 0:n]
    return np.exp(-((x - n / 2) ** 2 + (y - n / 2) ** 2) / (2 * sigma ** 2))


class ColorscaleTest(unittest.TestCase):
    def setUp(self):
        self.f = FITSFigure(gaussian())

    def tearDown(self):
        self.f.close()

    def test_default_cmap(self):
        image = self.f.show_colorscale()
        self.assertEqual(image.get_cmap().name, 'viridis')

    def test_named_cmap_and_limits(self):
        image = self.f.show_colorscale(vmin=0.0, vmax=0.5, cmap='magma')
        self.assertEqual(image.get_cmap().name, 'magma')
        self.assertEqual(image.get_clim(), (0.0, 0.5))

    def test_grayscale(self):
        self.assertEqual(self.f.show_grayscale().get_cmap().name, 'gray')

    def test_save(self):
        self.f.show_colorscale()
        path = os.path.join(tempfile.mkdtemp(), 'out.png')
        self.f.save(path)
        self.assertGreater(os.path.getsize(path), 0)


class ContourTest(unittest.TestCase):
    def setUp(self):
        self.f = FITSFigure(gaussian())

    def tearDown(self):
        self.f.close()

    def test_contour_default_cmap(self):
        c = self.f.show_contour(levels=4)
        self.assertEqual(c.get_cmap().name, 'viridis')
        self.assertIn('contour_set_1', self.f._layers)

    def test_contour_named_layer_replaced(self):
        self.f.show_contour(layer='rings', cmap='plasma')
        c = self.f.show_contour(layer='rings', cmap='cividis')
        self.assertEqual(c.get_cmap().name, 'cividis')
        self.assertEqual(list(self.f._layers), ['rings'])

    def test_contour_fixed_colors(self):
        c = self.f.show_contour(levels=[0.25, 0.5], colors='black')
        self.assertEqual(len(c.levels), 2)


class ThemeTest(unittest.TestCase):
    def setUp(self):
        self.f = FITSFigure(gaussian())

    def tearDown(self):
        self.f.close()

    def test_publication_theme(self):
        self.f.show_colorscale()
        self.f.set_theme('publication')
        self.assertEqual(self.f.image.get_cmap().name, 'gist_yarg')
        self.assertEqual(self.f.show_grayscale().get_cmap().name, 'gist_yarg')

    def test_pretty_theme(self):
        self.f.set_theme('publication')
        self.f.show_colorscale()
        self.assertEqual(self.f.image.get_cmap().name, 'gist_heat')
        self.f.set_theme('pretty')
        self.assertEqual(self.f.image.get_cmap().name, 'viridis')


if __name__ == '__main__':
    unittest.main()
