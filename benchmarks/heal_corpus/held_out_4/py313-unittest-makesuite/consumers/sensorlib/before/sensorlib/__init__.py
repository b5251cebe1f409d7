"""Convert raw sensor readings."""


def calibrate(raw, offset=0.0, gain=1.0):
    return [(r - offset) * gain for r in raw]


def c_to_f(celsius):
    return celsius * 9.0 / 5.0 + 32.0
