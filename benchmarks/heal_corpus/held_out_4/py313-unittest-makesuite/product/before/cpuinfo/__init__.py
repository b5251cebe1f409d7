from cpuinfo.cpuinfo import parse_proc_cpuinfo, parse_lscpu, get_cpu_info_from_text

__all__ = ["parse_proc_cpuinfo", "parse_lscpu", "get_cpu_info_from_text"]
