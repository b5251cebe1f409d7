import time


class Throttle:
    def __init__(self, interval):
        self.interval = interval
        self.last = 0.0

    def wait(self):
        now = time.clock()
        if now - self.last < self.interval:
            time.sleep(self.interval - (now - self.last))
        self.last = time.clock()
