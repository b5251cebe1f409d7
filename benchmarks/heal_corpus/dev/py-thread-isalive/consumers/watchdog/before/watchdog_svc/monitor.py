import threading


class Monitor:
    def __init__(self):
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        pass

    def check(self):
        if not self.thread.isAlive():
            self.thread = threading.Thread(target=self.loop, daemon=True)
            self.thread.start()
