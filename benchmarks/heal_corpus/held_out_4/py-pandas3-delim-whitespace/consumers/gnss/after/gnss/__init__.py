"""Daily station positions from a whitespace-separated time series file."""

import pandas as pd

COLUMNS = ["date", "east", "north", "up"]


def read_positions(path):
    df = pd.read_csv(path, sep=r"\s+", comment="#", header=None, names=COLUMNS)
    df["date"] = pd.to_datetime(df["date"])
    return df.set_index("date")


def daily_displacement(path):
    pos = read_positions(path)
    return (pos - pos.iloc[0]).round(4)
