import asyncio


@asyncio.coroutine
def wait(attempt, delay=0.01):
    yield from asyncio.sleep(attempt * delay)
