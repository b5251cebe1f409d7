"""Plot 2-D image arrays: colour scales, contours and figure themes."""
from aplpy.core import FITSFigure

__all__ = ["FITSFigure"]
__version__ = "2.1.0"
