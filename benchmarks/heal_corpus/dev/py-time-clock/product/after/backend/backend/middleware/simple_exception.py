"""Time each request and report the slow ones."""

import time


class Timing(object):
    def __init__(self, handler, slow=0.5, verbose=False):
        self.handler = handler
        self.slow = slow
        self.verbose = verbose

    def __call__(self, req):

        # before the handler
        began = time.perf_counter()
        self.flagged = False

        response = self.handler(req)

        # after the handler
        if self.verbose or self.slow < 0:
           finished = time.perf_counter()
           spent = finished - began

           if spent > self.slow:
              self.flagged = True
        return response


if __name__ == "__main__":
    print(Timing(str.upper, verbose=True)("ok"))
