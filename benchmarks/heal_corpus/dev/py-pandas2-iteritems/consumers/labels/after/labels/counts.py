def top(series, limit=2):
    counts = series.value_counts()
    out = []
    for label, n in counts.items():
        if len(out) < limit:
            out.append((label, int(n)))
    return out
