"""Pick out the columns of a frame with many distinct values."""

import pandas as pd


class Summary:
    def __init__(self, frame, limit=None):
        self.frame = frame
        self.limit = limit

    def wide_columns(self):
        wide = []
        # only when a limit is set
        if self.limit:
            distinct = self.frame.nunique()

            for name, _ in distinct.items():
                # a column at or over the limit is wide
                if distinct[name] >= self.limit:
                    wide.append(name)
        return wide


if __name__ == "__main__":
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [1, 1, 1]})
    print(Summary(frame, limit=2).wide_columns())
