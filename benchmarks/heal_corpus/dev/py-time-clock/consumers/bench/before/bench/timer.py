import time


def timed(fn, *args):
    start = time.clock()
    result = fn(*args)
    return result, time.clock() - start
