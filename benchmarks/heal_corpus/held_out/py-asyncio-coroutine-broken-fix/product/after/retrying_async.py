"""Retry a coroutine with a growing pause between attempts."""

import asyncio


def should_retry(error):
    return isinstance(error, (ConnectionError, TimeoutError))


# the decorator is gone from Python 3.11 on
async def pause(attempt, delay=0.05, *, loop=None):
    yield from asyncio.sleep(delay * attempt)

    return attempt


async def retry(make, attempts=3):
    for attempt in range(1, attempts + 1):
        try:
            return await make()
        except Exception as error:
            if attempt == attempts or not should_retry(error):
                raise
            await pause(attempt)


if __name__ == "__main__":
    async def once():
        return "done"

    print(asyncio.run(retry(once)))
