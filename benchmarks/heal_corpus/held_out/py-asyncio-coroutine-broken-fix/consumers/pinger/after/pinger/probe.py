import asyncio


async def ping(host, timeout=0.01):
    await asyncio.sleep(timeout)
    return host
