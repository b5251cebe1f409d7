import unittest

from cpuinfo import get_cpu_info_from_text
from tests.helpers import LSCPU, PROC_CPUINFO


class TestActual(unittest.TestCase):
	def test_merged(self):
		info = get_cpu_info_from_text(PROC_CPUINFO, LSCPU)
		self.assertEqual("GenuineIntel", info["vendor_id_raw"])
		self.assertEqual(2800000000, info["hz_actual"])
		self.assertEqual("x86_64", info["arch_string_raw"])

	def test_empty(self):
		self.assertEqual({}, get_cpu_info_from_text())
