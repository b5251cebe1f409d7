import unittest

from ttlcache.cache import TTLCache


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class TTLCacheTest(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock()
        self.cache = TTLCache(ttl=1.5, clock=self.clock)

    def test_get_before_expiry(self):
        self.cache.set("k", "v")
        self.clock.now += 1.0
        self.assertEqual(self.cache.get("k"), "v")

    def test_get_after_expiry(self):
        self.cache.set("k", "v")
        self.clock.now += 2.0
        self.assertEqual(self.cache.get("k", "gone"), "gone")

    def test_remaining(self):
        self.cache.set("k", "v")
        self.clock.now += 0.2
        self.assertAlmostEqual(self.cache.remaining("k"), 1.3)


if __name__ == "__main__":
    unittest.main()
