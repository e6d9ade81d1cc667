"""Stemmers that need no download: Porter (1980) for English and light suffix strippers for Portuguese and
Spanish, plus :func:`stem_array`, which stems a pyarrow array of tokens with their languages.

- ``en``: M. F. Porter's algorithm exactly as published ("An algorithm for suffix stripping", 1980), steps
  1a to 5b (``relational`` -> ``relat``, ``ponies`` -> ``poni``, ``generalization`` -> ``gener``).
- ``pt``: an RSLP-lite (after Orengo & Huyck's RSLP): plural, feminine, adverb, diminutive, noun suffix,
  else verb suffix, else a final vowel, each with a minimum stem length (``devoluções`` -> ``devolu``,
  ``entrega``/``entregaram`` -> ``entreg``).
- ``es``: a Snowball-lite: plural, adverb, diminutive, noun suffix, else verb suffix, else a final vowel,
  then acute accents removed (``envíos`` -> ``envi``, ``pedidos`` -> ``ped``, ``rápidamente`` -> ``rapid``).

They are light on purpose: the aim is to merge inflections of the same word for topics and classifiers, not
linguistic roots. Stemming a word is a pure function of (word, language), so the Arrow path stems each
distinct (language, token) of a batch once and a process-wide cache keeps the result for the next batches.
A language without a stemmer (anything but en, pt, es) leaves its tokens as they are.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# ------------------------------------------------------------------------------------------ Porter (en)
_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """m in [C](VC){m}[V]."""
    m = 0
    i, n = 0, len(stem)
    while i < n and _is_consonant(stem, i):
        i += 1
    while i < n:
        while i < n and not _is_consonant(stem, i):
            i += 1
        if i >= n:
            break
        while i < n and _is_consonant(stem, i):
            i += 1
        m += 1
    return m


def _has_vowel(stem: str) -> bool:
    return any(not _is_consonant(stem, i) for i in range(len(stem)))


def _ends_double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    """*o: the stem ends consonant-vowel-consonant, the last consonant not w, x or y."""
    n = len(word)
    if n < 3:
        return False
    return (
        _is_consonant(word, n - 3)
        and not _is_consonant(word, n - 2)
        and _is_consonant(word, n - 1)
        and word[-1] not in "wxy"
    )


def _replace_if(word: str, rules: tuple[tuple[str, str], ...], min_m: int) -> str:
    """The rule with the longest matching suffix decides; it applies when the stem's m > min_m."""
    for suffix, repl in rules:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            return stem + repl if _measure(stem) > min_m else word
    return word


_STEP2 = tuple(
    sorted(
        (
            ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
            ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
            ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
            ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
        ),
        key=lambda r: -len(r[0]),
    )
)
_STEP3 = (
    ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
)
_STEP4 = tuple(
    sorted(
        (
            "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism",
            "ate", "iti", "ous", "ive", "ize",
        ),
        key=len,
        reverse=True,
    )
)


def porter_stem(word: str) -> str:
    """Porter's 1980 stemmer; words of one or two letters are returned unchanged."""
    if len(word) <= 2:
        return word
    w = word
    # step 1a
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("ss"):
        pass
    elif w.endswith("s"):
        w = w[:-1]
    # step 1b
    extra = False
    if w.endswith("eed"):
        if _measure(w[:-3]) > 0:
            w = w[:-1]
    elif w.endswith("ed") and _has_vowel(w[:-2]):
        w, extra = w[:-2], True
    elif w.endswith("ing") and _has_vowel(w[:-3]):
        w, extra = w[:-3], True
    if extra:
        if w.endswith(("at", "bl", "iz")):
            w += "e"
        elif _ends_double_consonant(w) and w[-1] not in "lsz":
            w = w[:-1]
        elif _measure(w) == 1 and _cvc(w):
            w += "e"
    # step 1c
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    # steps 2 and 3
    w = _replace_if(w, _STEP2, 0)
    w = _replace_if(w, _STEP3, 0)
    # step 4
    for suffix in _STEP4:
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            if _measure(stem) > 1 and (suffix != "ion" or stem.endswith(("s", "t"))):
                w = stem
            break
    # step 5a
    if w.endswith("e"):
        stem = w[:-1]
        m = _measure(stem)
        if m > 1 or (m == 1 and not _cvc(stem)):
            w = stem
    # step 5b
    if _measure(w) > 1 and _ends_double_consonant(w) and w.endswith("l"):
        w = w[:-1]
    return w


# ------------------------------------------------------------------------------------------ light stemmers
def _strip(word: str, rules: tuple[tuple[str, str, int], ...]) -> tuple[str, bool]:
    """First rule (suffix, replacement, minimum stem length) that matches and leaves a long enough stem."""
    for suffix, repl, min_stem in rules:
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            return word[: len(word) - len(suffix)] + repl, True
    return word, False


_PT_PLURAL = (
    ("ões", "ão", 1), ("ães", "ão", 1), ("ais", "al", 1), ("éis", "el", 2), ("eis", "el", 2), ("óis", "ol", 2),
    ("ns", "m", 1), ("res", "r", 3), ("les", "l", 3), ("s", "", 2),
)
_PT_FEMININE = (
    ("inha", "inho", 3), ("eira", "eiro", 3), ("esa", "ês", 3), ("osa", "oso", 3), ("ica", "ico", 3),
    ("ada", "ado", 2), ("ida", "ido", 3), ("iva", "ivo", 3), ("ona", "ão", 3), ("ora", "or", 3),
)
_PT_ADVERB = (("mente", "", 4),)
_PT_DIMINUTIVE = (("zinho", "", 3), ("inho", "", 3), ("zito", "", 3), ("ito", "", 4))
_PT_NOUN = (
    ("amentos", "", 3), ("imentos", "", 3), ("amento", "", 3), ("imento", "", 3), ("mento", "", 4),
    ("idades", "", 4), ("idade", "", 4), ("ações", "", 3), ("ação", "", 3), ("ição", "", 3), ("ção", "", 3),
    ("ismo", "", 3), ("ista", "", 4), ("ável", "", 2), ("ível", "", 2), ("ância", "", 3), ("ência", "", 3),
    ("eza", "", 3), ("oso", "", 3), ("ivo", "", 4), ("ado", "", 2), ("ido", "", 3), ("ador", "", 3),
)
_PT_VERB = (
    ("aríamos", "", 2), ("eríamos", "", 3), ("aremos", "", 2), ("eremos", "", 2), ("iremos", "", 3),
    ("ávamos", "", 2), ("aram", "", 2), ("eram", "", 3), ("iram", "", 3), ("avam", "", 2), ("ando", "", 2),
    ("endo", "", 3), ("indo", "", 3), ("amos", "", 2), ("emos", "", 2), ("imos", "", 3), ("aria", "", 2),
    ("eria", "", 3), ("iria", "", 3), ("ava", "", 2), ("ou", "", 3), ("ei", "", 3), ("ar", "", 2), ("er", "", 2),
    ("ir", "", 3), ("am", "", 2), ("em", "", 2),
)
_PT_VOWEL = (("ão", "ão", 1), ("a", "", 3), ("e", "", 3), ("o", "", 3))  # "ão" is kept whole


def portuguese_stem(word: str) -> str:
    """RSLP-lite for Portuguese."""
    if len(word) <= 3:
        return word
    w, _ = _strip(word, _PT_PLURAL)
    w, _ = _strip(w, _PT_FEMININE)
    w, adverb = _strip(w, _PT_ADVERB)
    if not adverb:
        w, _ = _strip(w, _PT_DIMINUTIVE)
    w, noun = _strip(w, _PT_NOUN)
    if not noun:
        w, verb = _strip(w, _PT_VERB)
        if not verb:
            w, _ = _strip(w, _PT_VOWEL)
    return w


_ES_PLURAL = (
    ("ciones", "ción", 1), ("siones", "sión", 1), ("ces", "z", 2), ("les", "l", 2), ("res", "r", 2),
    ("nes", "n", 2), ("des", "d", 2), ("jes", "j", 2), ("s", "", 2),
)
_ES_ADVERB = (("amente", "", 3), ("mente", "", 4))
_ES_DIMINUTIVE = (("cito", "", 3), ("cita", "", 3), ("ito", "", 3), ("ita", "", 3), ("illo", "", 3), ("illa", "", 3))
_ES_NOUN = (
    ("amiento", "", 3), ("imiento", "", 3), ("miento", "", 4), ("aciones", "", 2), ("ación", "", 2),
    ("ición", "", 2), ("ción", "", 3), ("sión", "", 3), ("idad", "", 3), ("ismo", "", 3), ("ista", "", 3),
    ("able", "", 3), ("ible", "", 3), ("anza", "", 3), ("encia", "", 3), ("ancia", "", 3), ("oso", "", 3),
    ("osa", "", 3), ("ivo", "", 3), ("iva", "", 3), ("ador", "", 3), ("adora", "", 3),
)
_ES_VERB = (
    ("aríamos", "", 2), ("eríamos", "", 2), ("iríamos", "", 2), ("ábamos", "", 2), ("aremos", "", 2),
    ("eremos", "", 2), ("iremos", "", 2), ("ieron", "", 2), ("aron", "", 2), ("iendo", "", 2), ("ando", "", 2),
    ("aban", "", 2), ("ados", "", 2), ("idos", "", 2), ("adas", "", 2), ("idas", "", 2), ("aba", "", 2),
    ("ado", "", 2), ("ido", "", 2), ("ada", "", 2), ("ida", "", 2), ("ar", "", 2), ("er", "", 2), ("ir", "", 2),
    ("ió", "", 2), ("ó", "", 3), ("é", "", 3),
)
_ES_VOWEL = (("a", "", 3), ("e", "", 3), ("o", "", 3))
_ES_ACCENTS = str.maketrans("áéíóú", "aeiou")


def spanish_stem(word: str) -> str:
    """Snowball-lite for Spanish."""
    if len(word) <= 3:
        return word.translate(_ES_ACCENTS)
    w, _ = _strip(word, _ES_PLURAL)
    w, adverb = _strip(w, _ES_ADVERB)
    if not adverb:
        w, _ = _strip(w, _ES_DIMINUTIVE)
    w, noun = _strip(w, _ES_NOUN)
    if not noun:
        w, verb = _strip(w, _ES_VERB)
        if not verb:
            w, _ = _strip(w, _ES_VOWEL)
    return w.translate(_ES_ACCENTS)


STEMMERS = {"en": porter_stem, "pt": portuguese_stem, "es": spanish_stem}


@lru_cache(maxsize=500_000)
def stem(word: str, lang: str) -> str:
    """Stem ``word`` with the stemmer of ``lang``; other languages are left as they are."""
    fn = STEMMERS.get(lang)
    return fn(word) if fn is not None else word


def stem_array(tokens: pa.Array, langs: pa.Array) -> pa.Array:
    """Stem a flat string array of tokens given the language of each token (same length).

    Each distinct (language, token) of the array is stemmed once in Python; the results are mapped back with
    Arrow kernels (``index_in`` + ``take``).
    """
    if len(tokens) == 0:
        return tokens.cast(pa.string())
    keys = pc.binary_join_element_wise(langs, tokens, "\x1f")
    distinct = pc.unique(keys)
    stems = []
    for key in distinct.to_pylist():
        lang, _, word = key.partition("\x1f")
        stems.append(stem(word, lang))
    index = pc.index_in(keys, value_set=distinct)
    return pc.take(pa.array(stems, pa.string()), index)


def stem_list_array(lists: pa.Array, langs: pa.Array) -> pa.Array:
    """Stem a list<string> array where ``langs`` holds one language per list."""
    lists = lists.cast(pa.list_(pa.string()))
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    stemmed = stem_array(flat, pc.take(langs, parents))
    offsets = np.asarray(lists.offsets)
    return pa.ListArray.from_arrays(pa.array(offsets - offsets[0], pa.int32()), stemmed, mask=lists.is_null())
