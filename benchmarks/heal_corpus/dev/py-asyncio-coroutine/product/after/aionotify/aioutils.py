"""Wait for a pipe to become readable inside an event loop."""

import asyncio
import os


async def read_when_ready(fd, loop):
    """Wait until the descriptor has data, then read a chunk of it."""
    ready = loop.create_future()
    loop.add_reader(fd, ready.set_result, None)

    try:
        await ready
    finally:
        loop.remove_reader(fd)

    return os.read(fd, 4096)


def main():
    rd, wr = os.pipe()
    os.write(wr, b"ping")
    loop = asyncio.new_event_loop()
    try:
        print(loop.run_until_complete(read_when_ready(rd, loop)))
    finally:
        loop.close()
        os.close(rd)
        os.close(wr)


if __name__ == "__main__":
    main()
