import os
from fractions import Fraction, gcd


def lcm(a, b):
    return a * b // gcd(a, b)


def ratio(a, b):
    return Fraction(a, b)
