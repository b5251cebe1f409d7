"""Score names with a stochastic classifier: repeat the noisy passes, summarise per name."""

import numpy as np
import pandas as pd


class NoisyClassifier(object):
    """A toy softmax classifier whose training-mode passes add noise (like dropout left on)."""

    labels = ["asian", "black", "hispanic", "white"]

    def __init__(self, seed=7):
        self.rng = np.random.default_rng(seed)
        self.weights = self.rng.normal(size=(3, len(self.labels)))

    def model(self, X, training=False):
        logits = X @ self.weights
        if training:
            logits = logits + self.rng.normal(scale=0.1, size=logits.shape)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def sample_scores(clf, X, num_iter=10, conf_int=0.9):
    """Mean and interval of each label's probability per row of X, over num_iter noisy passes."""
    lower, upper = (1 - conf_int) / 2, 1 - (1 - conf_int) / 2
    if num_iter > 1:
        draws = pd.DataFrame()

        for _ in range(num_iter):
            draws = pd.concat([draws, pd.DataFrame(clf.model(X, training=True))])
        draws.columns = clf.labels
        draws["row"] = draws.index
        grouped = draws.groupby("row")
        summary = grouped.mean()
        summary = summary.join(grouped.quantile(lower).add_suffix("_lb"))
        summary = summary.join(grouped.quantile(upper).add_suffix("_ub"))
    else:
        summary = pd.DataFrame(clf.model(X), columns=clf.labels)
    summary["best"] = summary[clf.labels].idxmax(axis=1)
    return summary


if __name__ == "__main__":
    features = np.array([[0.2, 1.0, -0.5], [1.5, -0.3, 0.1]])
    print(sample_scores(NoisyClassifier(), features)[["best"]])
