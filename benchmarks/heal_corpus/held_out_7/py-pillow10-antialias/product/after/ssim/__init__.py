"""Structural similarity (SSIM) between two images."""
from ssim.ssimlib import SSIM, SSIMImage

__all__ = ["SSIM", "SSIMImage"]
__version__ = "0.5.0"
