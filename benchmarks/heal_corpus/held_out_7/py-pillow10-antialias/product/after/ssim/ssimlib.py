"""Compute the structural similarity of two images.

A single window over the whole image (no Gaussian weighting): enough for
thumbnails and for comparing an image with a resized copy of itself.
"""
from PIL import Image, ImageOps

from ssim.utils import covariance, mean, variance


class SSIMImage(object):
    """Wraps a PIL image for SSIM: resized, grayscale, flat pixel list.

    Attributes:
      img: the (possibly resized) PIL image.
      size: its (width, height).
      img_gray: the grayscale version.
      pixels: grayscale values, row by row.
    """

    def __init__(self, img, size=None):
        """Create an SSIMImage.

        Args:
          img (str or PIL.Image): PIL Image object or file name.
          size (width, height): resize the image to this size, if given.
        """
        if isinstance(img, str):
            self.img = Image.open(img)
        else:
            self.img = img

        # Resize image if size is defined and different
        # from original image
        if size and size != self.img.size:
            self.img = self.img.resize(size, Image.LANCZOS)

        # Set the size of the image
        self.size = self.img.size

        self.img_gray = ImageOps.grayscale(self.img)
        self.pixels = list(self.img_gray.tobytes())
        self.mean = mean(self.pixels)
        self.variance = variance(self.pixels, self.mean)


class SSIM(object):
    """Compares a reference image with others of any size."""

    def __init__(self, img, k1=0.01, k2=0.03, l=255):
        self.img = img if isinstance(img, SSIMImage) else SSIMImage(img)
        self.c1 = (k1 * l) ** 2
        self.c2 = (k2 * l) ** 2

    def ssim_value(self, target):
        """Compute the SSIM value from the reference image to the target image.

        The target is resized to the reference's size first.
        """
        if not isinstance(target, SSIMImage):
            target = SSIMImage(target, self.img.size)
        elif target.size != self.img.size:
            target = SSIMImage(target.img, self.img.size)

        ref = self.img
        cov = covariance(ref.pixels, target.pixels, ref.mean, target.mean)
        num = (2 * ref.mean * target.mean + self.c1) * (2 * cov + self.c2)
        den = (ref.mean ** 2 + target.mean ** 2 + self.c1) * (ref.variance + target.variance + self.c2)
        return num / den
