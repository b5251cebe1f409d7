"""Run the sensorlib tests: python run_tests.py"""

import sys
import unittest

from sensorlib.test_sensorlib import TestCalibrate, TestUnits


def suite():
    loader = unittest.TestLoader()
    return unittest.TestSuite([
        loader.loadTestsFromTestCase(TestCalibrate),
        loader.loadTestsFromTestCase(TestUnits),
    ])


if __name__ == "__main__":
    result = unittest.TextTestRunner(verbosity=2).run(suite())
    sys.exit(0 if result.wasSuccessful() and result.testsRun == 4 else 1)
