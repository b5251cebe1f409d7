import asyncio


@asyncio.coroutine
def ping(host, timeout=0.01):
    yield from asyncio.sleep(timeout)
    return host
