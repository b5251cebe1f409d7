import unittest

from PIL import Image, ImageOps

from ssim import SSIM, SSIMImage


def gradient(size):
    """A horizontal gray ramp, a dark square in its middle."""
    img = Image.linear_gradient("L").rotate(90).resize(size, Image.NEAREST).convert("RGB")
    w, h = size
    img.paste((20, 20, 20), (w // 4, h // 4, w // 2, h // 2))
    return img


class SSIMImageTest(unittest.TestCase):
    def test_no_resize_when_size_matches(self):
        img = gradient((32, 32))
        s = SSIMImage(img, size=(32, 32))
        self.assertIs(s.img, img)
        self.assertEqual(len(s.pixels), 32 * 32)

    def test_resize_to_requested_size(self):
        s = SSIMImage(gradient((64, 48)), size=(32, 24))
        self.assertEqual(s.size, (32, 24))
        self.assertEqual(len(s.pixels), 32 * 24)


class SSIMTest(unittest.TestCase):
    def test_identical(self):
        img = gradient((32, 32))
        self.assertAlmostEqual(SSIM(img).ssim_value(img), 1.0, places=6)

    def test_resized_copy_is_similar(self):
        ref = gradient((32, 32))
        big = gradient((96, 96))
        self.assertGreater(SSIM(ref).ssim_value(big), 0.9)

    def test_inverted_is_dissimilar(self):
        ref = gradient((32, 32))
        inv = ImageOps.invert(ref)
        self.assertLess(SSIM(ref).ssim_value(inv), 0.0)


if __name__ == "__main__":
    unittest.main()
