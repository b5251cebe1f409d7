import unittest

from sensorlib import c_to_f, calibrate


class TestCalibrate(unittest.TestCase):
    def test_offset(self):
        self.assertEqual([0.0, 1.0], calibrate([2.0, 3.0], offset=2.0))

    def test_gain(self):
        self.assertEqual([4.0, 6.0], calibrate([2.0, 3.0], gain=2.0))


class TestUnits(unittest.TestCase):
    def test_freezing(self):
        self.assertEqual(32.0, c_to_f(0))

    def test_boiling(self):
        self.assertEqual(212.0, c_to_f(100))
