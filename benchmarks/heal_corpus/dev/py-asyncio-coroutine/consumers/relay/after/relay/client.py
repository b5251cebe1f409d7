import asyncio


class Client:
    def __init__(self):
        self.sent = []

    async def send(self, message):
        await asyncio.sleep(0)
        self.sent.append(message)
        return len(self.sent)
