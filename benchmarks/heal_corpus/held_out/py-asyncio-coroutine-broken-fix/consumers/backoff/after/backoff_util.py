import asyncio


async def wait(attempt, delay=0.01):
    await asyncio.sleep(attempt * delay)
