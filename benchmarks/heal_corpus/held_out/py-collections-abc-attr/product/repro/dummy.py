import collections

class DummyGlyphSet(collections.MutableMapping):
    pass
