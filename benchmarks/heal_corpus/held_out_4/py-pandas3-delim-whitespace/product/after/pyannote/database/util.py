"""Readers for the whitespace-separated annotation files of speech corpora.

Each reader returns, per file `uri`, a list of (start, end, label) tuples
(or of (start, end) for UEM), sorted by start time."""

import pandas as pd


def _turns(data, label):
    turns = {}
    for uri, rows in data.groupby("uri"):
        turns[uri] = sorted(
            (float(r.start), float(r.start + r.duration if "duration" in rows else r.end), getattr(r, label))
            for r in rows.itertuples()
        )
    return turns


def load_rttm(file_rttm, keep_type="SPEAKER"):
    """Load RTTM file: {uri: [(start, end, speaker), ...]}"""
    names = ["type", "uri", "NA1", "start", "duration", "NA2", "NA3", "speaker", "NA4", "NA5"]
    dtype = {"uri": str, "start": float, "duration": float, "speaker": str}
    data = pd.read_csv(
        file_rttm,
        names=names,
        dtype=dtype,
        sep=r"\s+",
        keep_default_na=True,
    )
    data = data[data["type"] == keep_type]
    return _turns(data, "speaker")


def load_stm(file_stm):
    """Load STM file (speaker-info only): {uri: [(start, end, speaker), ...]}"""
    dtype = {"uri": str, "speaker": str, "start": float, "end": float}
    data = pd.read_csv(
        file_stm,
        sep=r"\s+",
        usecols=[0, 2, 3, 4],
        dtype=dtype,
        names=list(dtype),
    )
    return _turns(data, "speaker")


def load_mdtm(file_mdtm):
    """Load MDTM file: {uri: [(start, end, label), ...]}"""
    names = ["uri", "NA1", "start", "duration", "NA2", "NA3", "NA4", "speaker"]
    dtype = {"uri": str, "start": float, "duration": float, "speaker": str}
    data = pd.read_csv(
        file_mdtm,
        names=names,
        dtype=dtype,
        sep=r"\s+",
        keep_default_na=False,
    )
    return _turns(data, "speaker")


def load_uem(file_uem):
    """Load UEM file: {uri: [(start, end), ...]}"""
    names = ["uri", "NA1", "start", "end"]
    dtype = {"uri": str, "start": float, "end": float}
    data = pd.read_csv(file_uem, names=names, dtype=dtype, sep=r"\s+")

    timelines = dict()
    for uri, parts in data.groupby("uri"):
        timelines[uri] = sorted((float(p.start), float(p.end)) for p in parts.itertuples())
    return timelines


def load_lab(path, uri: str = None):
    """Load LAB file: [(start, end, label), ...]"""
    names = ["start", "end", "label"]
    dtype = {"start": float, "end": float, "label": str}
    data = pd.read_csv(path, names=names, dtype=dtype, sep=r"\s+")

    annotation = []
    for i, turn in data.iterrows():
        annotation.append((turn.start, turn.end, turn.label))
    return annotation
