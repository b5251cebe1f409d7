import asyncio


async def check(name):
    """Wait a moment, then say the service is up."""
    await asyncio.sleep(0.01)
    return f"{name}: up"
