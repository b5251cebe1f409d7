"""Words for the keyword (BM25) ranker of the code search: tokens, stop words and stems (pure).

Where this sits: ``oracle.search.keyword_text`` spells a chunk out in words (identifiers split, abbreviations
written in full); this module turns that text, and a question, into the same comparable terms, so that
"parsing dates" meets ``parse_date``. The tokenizer and identifier splitting are ours (code, not prose); the
stemmer is Snowball's English one (``snowballstemmer``, run by ``PyStemmer``'s C code when installed). The
stop words are our own short list: question words ("how", "where", "which") are dropped, which the usual
English lists (bm25s', NLTK's) keep, and nothing that names an operation ("get", "first") is.
"""

from __future__ import annotations

import re

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Snowball's English stemmer: PyStemmer's C one when it is installed (the oracle extra has it), else the
# pure-Python one; both cache the words they have seen
_STEMMER = snowballstemmer.stemmer("english")

STOP_WORDS = frozenset(
    """a an and are as at be been but by can could do does for from had has have how i if in into is it its
    me my no not of on or our so such than that the their them then there these they this those to too
    was we were what when where which while who whom why will with would you your""".split()  # noqa: SIM905
)


def stem(word: str) -> str:
    """Snowball's English stemmer: ``parses``, ``parsed``, ``parsing``, ``parse`` -> ``pars``; ``entries`` ->
    ``entri``; digits stay as they are."""
    return _STEMMER.stemWord(word)


def terms(text: str) -> list[str]:
    """Lower-cased alphanumeric words of ``text``, stop words dropped, stemmed (in order, repeats kept)."""
    return _STEMMER.stemWords([w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS])


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
