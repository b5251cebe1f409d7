import locale


def line(description, qty, unit_price):
    total = qty * unit_price
    return "{:<20}{:>6}{:>12}".format(
        description,
        locale.format("%d", qty, True),
        locale.format("%.2f", total, grouping=True),
    )


def render(items):
    lines = [line(*item) for item in items]
    grand = sum(q * p for _, q, p in items)
    lines.append("{:<26}{:>12}".format("TOTAL", locale.format("%.2f", grand, True)))
    return "\n".join(lines)
