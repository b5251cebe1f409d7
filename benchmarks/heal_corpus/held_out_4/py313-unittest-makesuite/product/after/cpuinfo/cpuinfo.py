# Read what a machine says about its CPU (the text of /proc/cpuinfo or of
# `lscpu`) into a small dict.


def _to_pairs(text, sep):
	pairs = []
	for line in text.splitlines():
		if sep not in line:
			continue
		key, value = line.split(sep, 1)
		pairs.append((key.strip(), value.strip()))
	return pairs


def _hz(value):
	# "2394.454" MHz -> 2394454000 Hz
	try:
		return int(round(float(value) * 1000000))
	except ValueError:
		return 0


def parse_proc_cpuinfo(text):
	info = {}
	count = 0
	for key, value in _to_pairs(text, ":"):
		if key == "processor":
			count += 1
		elif key == "model name" and "brand_raw" not in info:
			info["brand_raw"] = value
		elif key == "vendor_id" and "vendor_id_raw" not in info:
			info["vendor_id_raw"] = value
		elif key == "cpu MHz" and "hz_actual" not in info:
			info["hz_actual"] = _hz(value)
		elif key == "flags" and "flags" not in info:
			info["flags"] = sorted(value.split())
	if count:
		info["count"] = count
	return info


def parse_lscpu(text):
	info = {}
	for key, value in _to_pairs(text, ":"):
		if key == "Model name":
			info["brand_raw"] = value
		elif key == "Vendor ID":
			info["vendor_id_raw"] = value
		elif key == "CPU(s)":
			info["count"] = int(value)
		elif key == "Architecture":
			info["arch_string_raw"] = value
	return info


def get_cpu_info_from_text(proc_cpuinfo="", lscpu=""):
	info = parse_lscpu(lscpu)
	for key, value in parse_proc_cpuinfo(proc_cpuinfo).items():
		info.setdefault(key, value)
	return info
