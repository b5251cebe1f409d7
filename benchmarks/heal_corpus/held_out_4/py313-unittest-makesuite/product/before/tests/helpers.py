PROC_CPUINFO = """processor	: 0
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz
cpu MHz		: 2800.000
flags		: fpu sse2 ssse3 avx

processor	: 1
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz
cpu MHz		: 2800.000
flags		: fpu sse2 ssse3 avx
"""

LSCPU = """Architecture:        x86_64
CPU(s):              2
Vendor ID:           GenuineIntel
Model name:          Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz
"""
