import asyncio


class Client:
    def __init__(self):
        self.sent = []

    @asyncio.coroutine
    def send(self, message):
        yield from asyncio.sleep(0)
        self.sent.append(message)
        return len(self.sent)
