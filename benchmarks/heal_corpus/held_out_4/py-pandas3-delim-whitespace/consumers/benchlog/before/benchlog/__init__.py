"""Compare two runs of a benchmark whose results are aligned text tables."""

import pandas as pd


def load_run(path):
    return pd.read_table(path, delim_whitespace=True, skiprows=1, index_col="name")


def load_baseline(path):
    return pd.read_csv(path, delim_whitespace=True, index_col=0)["mean_ms"]


def speedups(run_path, baseline_path):
    run = load_run(run_path)["mean_ms"]
    base = load_baseline(baseline_path)
    return (base / run).round(2).sort_index()
