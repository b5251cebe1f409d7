"""Reduce a frame size to its display aspect ratio."""

import sys

from collections import namedtuple
from math import gcd


Ratio = namedtuple("Ratio", "wide high")


def aspect(width, height):
    common = gcd(width, height)
    return Ratio(width // common, height // common)


if __name__ == "__main__":
    w, h = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (1920, 1080)
    print("%d:%d" % aspect(w, h))
