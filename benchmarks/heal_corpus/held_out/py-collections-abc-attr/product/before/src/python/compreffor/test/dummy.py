# A stand-in store for the tests: a plain dict behind the mapping interface.
#
# Nothing here talks to the disk.

import collections

class FakeStore(collections.MutableMapping):
    """Keeps its items in memory"""

    def __init__(self, *args, **kwargs):
        self._items = dict(*args, **kwargs)

    def __getitem__(self, key):
        return self._items[key]

    def __setitem__(self, key, value):
        self._items[key] = value

    def __delitem__(self, key):
        del self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)


if __name__ == "__main__":
    print(sorted(FakeStore(a=1, b=2)))
