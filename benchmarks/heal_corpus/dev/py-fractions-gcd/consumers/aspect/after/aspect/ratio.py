from math import gcd


def reduce(width, height):
    d = gcd(width, height)
    return width // d, height // d
