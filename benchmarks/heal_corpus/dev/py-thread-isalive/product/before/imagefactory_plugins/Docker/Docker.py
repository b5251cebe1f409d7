"""Run a helper thread and warn when it outlives its budget."""

import logging
import threading
import time

log = logging.getLogger("helper")


class Helper(object):
    def run(self, seconds=0.01, budget=5.0):
        worker = threading.Thread(target=time.sleep, args=(seconds,), daemon=True)
        worker.start()
        if worker:
            worker.join(budget)
            if worker.isAlive():
                log.error("helper thread still running after %s s" % (budget,))
                return False

        return True


if __name__ == "__main__":
    print(Helper().run())
