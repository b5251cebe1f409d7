"""Loaders that read a whole file once and answer per `uri`."""

import pandas as pd


def load_trial(file_trial):
    """Load a speaker verification trial file: yields dicts."""
    trials = pd.read_table(
        file_trial, sep=r"\s+", names=["reference", "uri1", "uri2"]
    )

    for _, reference, uri1, uri2 in trials.itertuples():
        yield {"reference": reference, "uri1": uri1, "uri2": uri2}


class CTMLoader:
    """Word-level transcriptions (CTM): {uri: [(start, end, word), ...]}"""

    def __init__(self, ctm):
        names = ["uri", "channel", "start", "duration", "word", "confidence"]
        dtype = {
            "uri": str,
            "start": float,
            "duration": float,
            "word": str,
            "confidence": float,
        }
        self.data_ = pd.read_csv(
            ctm, names=names, dtype=dtype, sep=r"\s+"
        ).groupby("uri")

    def __call__(self, uri):
        try:
            words = self.data_.get_group(uri)
        except KeyError:
            return []
        return [(w.start, w.start + w.duration, w.word) for w in words.itertuples()]


class MAPLoader:
    """A value per `uri` (e.g. a domain or a gender): {uri: value}"""

    def __init__(self, mapping):
        names = ["uri", "value"]
        dtype = {
            "uri": str,
        }
        self.data_ = pd.read_csv(
            mapping, names=names, dtype=dtype, sep=r"\s+"
        )

        # get colum 'value' dtype, allowing us to acces it during subset
        self.dtype = self.data_.dtypes["value"]
        self.data_ = self.data_.set_index("uri")["value"]

    def __call__(self, uri):
        return self.data_.get(uri)
