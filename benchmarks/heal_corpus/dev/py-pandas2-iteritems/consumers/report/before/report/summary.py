def describe(df):
    lines = []
    for column, values in df.iteritems():
        lines.append(f"{column}: mean={values.mean():.2f}")
    return "\n".join(lines)
