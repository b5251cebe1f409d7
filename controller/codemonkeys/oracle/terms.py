"""Words for the keyword (BM25) ranker of the code search: tokens, stop words and a light stemmer (pure).

Where this sits: ``oracle.search.keyword_text`` spells a chunk out in words (identifiers split, abbreviations
written in full); this module turns that text, and a question, into the same comparable terms, so that
"parsing dates" meets ``parse_date``. The stemmer is a small suffix stripper (plural ``-s``/``-es``/``-ies``,
``-ing``, ``-ed``, a final ``-e``, doubled consonants): it only has to map the forms of one word to one term,
not to produce English.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

STOP_WORDS = frozenset(
    """a an and are as at be been but by can could do does for from had has have how i if in into is it its
    me my no not of on or our so such than that the their them then there these they this those to too
    was we were what when where which while who whom why will with would you your""".split()  # noqa: SIM905
)


def stem(word: str) -> str:
    """``parses``, ``parsed``, ``parsing``, ``parse`` -> ``pars``; ``entries`` -> ``entri``; short words
    stay as they are."""
    if len(word) <= 3 or word.isdigit():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "i"
    elif w.endswith("sses") or (w.endswith("es") and len(w) > 4 and w[-3] in "sxzh"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # running -> run
            break
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"  # entry / entries
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def terms(text: str) -> list[str]:
    """Lower-cased alphanumeric words of ``text``, stop words dropped, stemmed (in order, repeats kept)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def split_identifier(name: str) -> list[str]:
    """``HTTPClient_get_jsonBody`` -> ``['http', 'client', 'get', 'json', 'body']``."""
    out: list[str] = []
    for part in name.split("_"):
        out.extend(m.group(0).lower() for m in _CAMEL.finditer(part))
    return out


def query_terms(query: str) -> list[str]:
    """The distinct terms of a question: each word as written and, for identifiers, split into words."""
    words = [w for tok in _IDENT.findall(query) for w in dict.fromkeys([tok.lower(), *split_identifier(tok)])]
    return list(dict.fromkeys(terms(" ".join(words))))
