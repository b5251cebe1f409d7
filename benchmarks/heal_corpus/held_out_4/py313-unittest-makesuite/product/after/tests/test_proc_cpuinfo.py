import unittest

from cpuinfo import parse_proc_cpuinfo
from tests.helpers import PROC_CPUINFO


class TestProcCpuinfo(unittest.TestCase):
	def test_count(self):
		self.assertEqual(2, parse_proc_cpuinfo(PROC_CPUINFO)["count"])

	def test_brand(self):
		self.assertEqual("Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz", parse_proc_cpuinfo(PROC_CPUINFO)["brand_raw"])

	def test_hz(self):
		self.assertEqual(2800000000, parse_proc_cpuinfo(PROC_CPUINFO)["hz_actual"])

	def test_flags(self):
		self.assertEqual(["avx", "fpu", "sse2", "ssse3"], parse_proc_cpuinfo(PROC_CPUINFO)["flags"])
