"""Small numeric helpers on flat pixel sequences."""


def mean(values):
    return sum(values) / float(len(values))


def variance(values, mu=None):
    mu = mean(values) if mu is None else mu
    return sum((v - mu) ** 2 for v in values) / float(len(values))


def covariance(xs, ys, mu_x=None, mu_y=None):
    mu_x = mean(xs) if mu_x is None else mu_x
    mu_y = mean(ys) if mu_y is None else mu_y
    return sum((x - mu_x) * (y - mu_y) for x, y in zip(xs, ys)) / float(len(xs))
