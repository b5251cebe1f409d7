import unittest

from cpuinfo import parse_lscpu
from tests.helpers import LSCPU


class TestLscpu(unittest.TestCase):
	def test_arch(self):
		self.assertEqual("x86_64", parse_lscpu(LSCPU)["arch_string_raw"])

	def test_count(self):
		self.assertEqual(2, parse_lscpu(LSCPU)["count"])
