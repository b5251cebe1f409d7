def describe(df):
    lines = []
    for column, values in df.items():
        lines.append(f"{column}: mean={values.mean():.2f}")
    return "\n".join(lines)
