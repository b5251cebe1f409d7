import pandas as pd


def daily_close(ticks: pd.Series) -> pd.Series:
    """One close per calendar day; a day without trades keeps the last close; before the first trade, 0."""
    daily = ticks.resample("D").last()
    daily.fillna(method="pad", inplace=True)
    return daily.fillna(0.0)
