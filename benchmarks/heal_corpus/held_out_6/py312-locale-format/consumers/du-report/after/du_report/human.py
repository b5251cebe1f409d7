from locale import format_string as lformat

UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]


def human_size(n):
    size = float(n)
    for unit in UNITS:
        if size < 1024 or unit == UNITS[-1]:
            if unit == "B":
                return lformat("%d", size) + " " + unit
            return lformat("%.1f", size) + " " + unit
        size /= 1024


def report(sizes):
    width = max(len(name) for name in sizes)
    return ["{}  {}".format(name.ljust(width), human_size(n)) for name, n in sorted(sizes.items(), key=lambda kv: -kv[1])]
