"""Snowball stemmers (the maintained ``snowballstemmer`` package, pure Python) for en, pt and es, plus
:func:`stem_array` / :func:`stem_list_array`, which stem pyarrow arrays of tokens with their languages.

- ``en``: Snowball ``english`` (Porter2, the successor of Porter's 1980 algorithm: ``days`` -> ``day``,
  ``generalization`` -> ``general``, ``is`` -> ``is``).
- ``pt``: Snowball ``portuguese`` (``devoluções`` -> ``devolu``, ``entregaram`` -> ``entreg``,
  ``ótimo`` -> ``ótim``: other accents are kept).
- ``es``: Snowball ``spanish``, which also removes acute accents (``envíos`` -> ``envi``,
  ``rápidamente`` -> ``rapid``).

Which Snowball algorithm serves a language is :data:`ALGORITHMS`; a language without one (anything but en, pt,
es, or a null language) leaves its tokens as they are. Null tokens stay null. A Snowball stemmer object keeps
state while it stems a word, so it is built once per worker process and language (:func:`stemmer`, cached) and
used by one thread at a time, which is how Spark's Python workers call ``mapInArrow`` functions.

Stemming a word is a pure function of (word, language), so the Arrow path stems each distinct (language, token)
of a batch once and a process-wide cache (:func:`stem`) keeps the result for the next batches; the stems are
mapped back to every token with Arrow kernels (``index_in`` + ``take``).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import snowballstemmer

# language code -> Snowball algorithm name (snowballstemmer.algorithms())
ALGORITHMS = {"en": "english", "pt": "portuguese", "es": "spanish"}
_SEPARATOR = "\x1f"  # joins language and token into one key; neither holds it (it is not a word character)


@lru_cache(maxsize=None)
def stemmer(lang: str):
    """The Snowball stemmer of ``lang`` (built once per process), or None for a language without one."""
    algorithm = ALGORITHMS.get(lang)
    return snowballstemmer.stemmer(algorithm) if algorithm is not None else None


@lru_cache(maxsize=500_000)
def stem(word: str, lang: str) -> str:
    """Stem ``word`` with the Snowball stemmer of ``lang``; other languages are left as they are."""
    fn = stemmer(lang)
    return fn.stemWord(word) if fn is not None else word


def stem_array(tokens: pa.Array, langs: pa.Array) -> pa.Array:
    """Stem a flat string array of tokens given the language of each token (same length).

    Each distinct (language, token) of the array is stemmed once in Python; the results are mapped back with
    Arrow kernels (``index_in`` + ``take``). A null token stays null; a null language leaves the token as is.
    """
    tokens = tokens.cast(pa.string())
    if len(tokens) == 0:
        return tokens
    langs = pc.fill_null(langs.cast(pa.string()), "")
    keys = pc.binary_join_element_wise(langs, tokens, _SEPARATOR)  # null where the token is null
    distinct = pc.unique(keys).drop_null()
    stems = []
    for key in distinct.to_pylist():
        lang, _, word = key.partition(_SEPARATOR)
        stems.append(stem(word, lang))
    index = pc.index_in(keys, value_set=distinct)  # null for a null key: take gives null
    return pc.take(pa.array(stems, pa.string()), index)


def stem_list_array(lists: pa.Array, langs: pa.Array) -> pa.Array:
    """Stem a list<string> array where ``langs`` holds one language per list (null lists stay null)."""
    lists = lists.cast(pa.list_(pa.string()))
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    stemmed = stem_array(flat, pc.take(langs, parents))
    offsets = np.asarray(lists.offsets)
    return pa.ListArray.from_arrays(pa.array(offsets - offsets[0], pa.int32()), stemmed, mask=lists.is_null())
