#!/usr/bin/env python
# -*- coding: UTF-8 -*-

# Runs every test of the tests/ folder.

import sys
import unittest

from tests.test_proc_cpuinfo import TestProcCpuinfo
from tests.test_lscpu import TestLscpu
from tests.test_actual import TestActual


if __name__ == '__main__':
	# Get all the tests
	tests = [
		TestProcCpuinfo,
		TestLscpu,
		TestActual,
	]

	# Add the tests to the suite
	suite = unittest.TestSuite()
	loader = unittest.TestLoader()
	for test in tests:
		suite.addTest(loader.loadTestsFromTestCase(test))

	# Run the tests
	runner = unittest.TextTestRunner()
	result = runner.run(suite)
	sys.exit(0 if result.wasSuccessful() else 1)
