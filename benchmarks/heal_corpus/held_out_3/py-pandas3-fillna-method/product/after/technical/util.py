"""Helpers for OHLCV candle frames: resample to a slower timeframe and merge it back."""

from pandas import DataFrame, DatetimeIndex, merge, to_timedelta


def resample_to_interval(dataframe: DataFrame, interval):
    """Candles of `interval` minutes from faster ones."""
    df = dataframe.copy()
    df = df.set_index(DatetimeIndex(df["date"]))
    ohlc_dict = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    # Resample to "left" border as dates are candle open dates
    df = df.resample(str(interval) + "min", label="left").agg(ohlc_dict).dropna()
    df.reset_index(inplace=True)
    return df


def resampled_merge(original: DataFrame, resampled: DataFrame, fill_na=True):
    """
    Merges a resampled dataset back into the original data set.
    A resampled candle is attached to the last small candle of its span, so it is
    only seen once it is complete.

    :param original: the original non resampled dataset
    :param resampled: the resampled dataset
    :return: the merged dataset
    """
    original_int = compute_interval(original)
    resampled_int = compute_interval(resampled)

    if original_int < resampled_int:
        # Subtract the small timeframe so merging is not delayed by one small candle.
        resampled["date_merge"] = (
            resampled["date"] + to_timedelta(resampled_int, "min") - to_timedelta(original_int, "min")
        )
    else:
        raise ValueError("Tried to merge a faster timeframe to a slower timeframe. Upsampling is not possible.")

    # rename all the columns to the correct interval
    resampled.columns = [f"resample_{resampled_int}_{col}" for col in resampled.columns]

    dataframe = merge(
        original,
        resampled,
        how="left",
        left_on="date",
        right_on=f"resample_{resampled_int}_date_merge",
    )
    dataframe = dataframe.drop(f"resample_{resampled_int}_date_merge", axis=1)

    if fill_na:
        dataframe = dataframe.ffill()

    return dataframe


def compute_interval(dataframe: DataFrame):
    """The interval of the frame's candles, in minutes."""
    return int((dataframe["date"] - dataframe["date"].shift()).min().total_seconds() // 60)


if __name__ == "__main__":
    import pandas as pd

    candles = pd.DataFrame({
        "date": pd.date_range("2024-01-01 00:00", periods=10, freq="1min"),
        "open": [float(i) for i in range(10)],
        "high": [i + 0.5 for i in range(10)],
        "low": [i - 0.5 for i in range(10)],
        "close": [i + 0.25 for i in range(10)],
        "volume": [10.0] * 10,
    })
    merged = resampled_merge(candles, resample_to_interval(candles, 5))
    print(merged[["date", "close", "resample_5_close", "resample_5_volume"]].to_string())
