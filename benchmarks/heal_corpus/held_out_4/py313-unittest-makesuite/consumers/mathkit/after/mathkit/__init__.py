"""Tiny 2-d vector helpers."""


def add(a, b):
    return (a[0] + b[0], a[1] + b[1])


def dot(a, b):
    return a[0] * b[0] + a[1] * b[1]


def scale(a, k):
    return (a[0] * k, a[1] * k)
