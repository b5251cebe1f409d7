"""
Chapter Factory Unit Tests
"""
import os
import tempfile
import unittest

from ..chapter import Chapter
from ..factory import RenderCtx, mime_type, render_images

#** Variables **#
__all__ = ['FactoryTests']

PNG  = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00'
GIF  = b'GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04'
JFIF = b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00'
JDQT = b'\xff\xd8\xff\xdb\x00C\x00\x08\x06\x06\x07\x06\x05\x08\x07\x07\x07\t\t'
SVG  = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'

#** Classes **#

class FactoryTests(unittest.TestCase):

    def test_mime_png_gif(self):
        self.assertEqual(mime_type('http://x/a.png', PNG), 'png')
        self.assertEqual(mime_type('http://x/a', GIF), 'gif')

    def test_mime_jpeg(self):
        self.assertIn(mime_type('http://x/a.jpg', JFIF), ('jpeg', 'jpg'))
        self.assertIn(mime_type('http://x/b', JDQT), ('jpeg', 'jpg'))

    def test_mime_svg_and_unknown(self):
        self.assertEqual(mime_type('http://x/logo.svg', SVG), 'svg')
        self.assertIsNone(mime_type('http://x/logo', SVG))
        self.assertIsNone(mime_type('http://x/notes.txt', b'just some text'))

    def test_render_images(self):
        files = {
            'http://site/img/a.png': PNG,
            'http://site/pics/b': JFIF,
            'http://site/readme.txt': b'plain text',
        }
        html = ('<p><img src="/img/a.png?size=2"> <img alt="b" src="http://site/pics/b">'
                '<img src="../img/a.png"> <img src="/readme.txt"></p>')
        with tempfile.TemporaryDirectory() as tmp:
            imagedir = os.path.join(tmp, 'images')
            os.mkdir(imagedir)
            ctx = RenderCtx(Chapter('One', html, url='http://site/chapter/1'), imagedir, files.__getitem__)
            with self.assertLogs('pypub', 'WARNING') as logs:
                out = render_images(ctx)
            names = sorted(os.listdir(imagedir))
        self.assertEqual(len(names), 2)
        self.assertEqual(names[0], 'image-001.png')
        self.assertRegex(names[1], r'^image-002\.jpe?g$')
        self.assertEqual(out, '<p><img src="images/image-001.png"> <img alt="b" src="images/%s">'
                              '<img src="images/image-001.png"> <img src="/readme.txt"></p>' % names[1])
        self.assertIn("cannot identify 'http://site/readme.txt' mime", logs.output[0])
