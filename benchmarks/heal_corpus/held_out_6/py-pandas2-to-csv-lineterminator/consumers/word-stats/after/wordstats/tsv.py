import io

import pandas as pd

TSV_OPTIONS = {"sep": "\t", "lineterminator": "\n", "encoding": "utf-8"}


def word_counts(text):
    words = pd.Series(text.lower().split())
    return words.value_counts().sort_index()


def counts_tsv(text):
    buf = io.StringIO()
    word_counts(text).to_csv(buf, header=["count"], index_label="word", **TSV_OPTIONS)
    return buf.getvalue()


def lengths_tsv(text):
    counts = word_counts(text)
    df = pd.DataFrame({"word": counts.index, "length": [len(w) for w in counts.index]})
    return df.to_csv(index=False, **TSV_OPTIONS)
