import asyncio


@asyncio.coroutine
def check(name):
    """Wait a moment, then say the service is up."""
    yield from asyncio.sleep(0.01)
    return f"{name}: up"
