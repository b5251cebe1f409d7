from pandas import DataFrame, Series


def tally(responses):
    """One row per respondent: how many questions were answered and the mean score."""
    table = DataFrame(columns=["respondent", "answered", "mean_score"])
    for respondent, scores in responses.items():
        given = [s for s in scores if s is not None]
        row = Series({
            "respondent": respondent,
            "answered": len(given),
            "mean_score": sum(given) / len(given) if given else float("nan"),
        })
        table = table.append(row, ignore_index=True)
    return table
