"""The text rules as Spark SQL built-in functions (``Column -> Column``): the ``sql`` engine and the column API.

Each function is one rule of :mod:`vocspark.text.rules`, with the same regexes as the Arrow engine:

>>> df.select(normalize_text(F.col("text")).alias("text_clean"))
>>> df.select(remove_stopwords(tokenize(F.col("text")), F.col("lang")).alias("tokens"))

Higher-order functions (``transform``, ``filter``) run per element inside one projection; stopword lookups
are ``IN`` lists, which Spark turns into hash sets (``InSet``).
"""
from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from vocspark.text import rules
from vocspark.text.stopwords import stopwords


def decode_entities(col: Column) -> Column:
    """The few HTML entities review dumps carry (``&#34;``, ``&amp;``...) become their character."""
    for entity, char in rules.ENTITIES:
        col = F.replace(col, F.lit(entity), F.lit(char))
    return col


def strip_html(col: Column) -> Column:
    """Remove HTML tags and the entities that were not decoded."""
    return F.regexp_replace(col, rules.HTML_PATTERN, "")


def trim_whitespace(col: Column) -> Column:
    return F.btrim(col, F.lit(rules.WHITESPACE_CHARS))


def split_sentences(col: Column) -> Column:
    """array<string>: sentences in original case, HTML stripped, trimmed; empty ones dropped; null for null."""
    marked = F.regexp_replace(
        decode_entities(col), rules.SENTENCE_BREAK_PATTERN, rules.SENTENCE_BREAK_REPLACEMENT_JAVA
    )
    pieces = F.split(strip_html(marked), rules.SENTENCE_BREAK)
    return F.filter(F.transform(pieces, trim_whitespace), lambda s: s != F.lit(""))


def tokenize(col: Column) -> Column:
    """array<string>: the words of the text (lowercase, junk removed, apostrophes trimmed from each word; no
    stopword or length filter); null for null."""
    lowered = F.translate(F.lower(col), rules.CURLY_APOSTROPHE, rules.APOSTROPHE)
    spaced = F.regexp_replace(lowered, rules.NORMALISE_PATTERN, rules.NORMALISE_REPLACEMENT)
    words = F.transform(F.split(spaced, rules.WORD_SEPARATOR), lambda w: F.btrim(w, F.lit(rules.APOSTROPHE)))
    return F.filter(words, lambda w: w != F.lit(""))


def normalize_text(col: Column) -> Column:
    """Lowercase; URLs, mentions, HTML, punctuation, symbols, emoji and digits out; words joined by one space."""
    return F.array_join(tokenize(col), rules.WORD_SEPARATOR)


def is_stopword(word: Column, lang: Column) -> Column:
    """The word is one of Spark's default stopwords of ``lang`` (en, pt, es; no list for other languages)."""
    cond = None
    for code in rules.LANGS:
        this = (lang == F.lit(code)) & word.isin(*stopwords(code))
        cond = this if cond is None else cond | this
    return cond


def remove_stopwords(tokens: Column, lang: Column) -> Column:
    """Drop the stopwords of each row's own language."""
    return F.filter(tokens, lambda w: ~is_stopword(w, lang))


def filter_short_tokens(tokens: Column, min_chars: int) -> Column:
    """Drop tokens with fewer than ``min_chars`` characters."""
    return F.filter(tokens, lambda w: F.length(w) >= F.lit(min_chars))


def filter_tokens(tokens: Column, lang: Column, min_chars: int, drop_stopwords: bool) -> Column:
    """:func:`filter_short_tokens` and (optionally) :func:`remove_stopwords` in one pass over the array."""

    def keep(w: Column) -> Column:
        is_long = F.length(w) >= F.lit(min_chars)
        return is_long & ~is_stopword(w, lang) if drop_stopwords else is_long

    return F.filter(tokens, keep)


def month_of(ts: Column) -> Column:
    """``yyyy-MM`` of a timestamp in the session time zone (UTC), with the built-in ``date_format``."""
    return F.date_format(ts, "yyyy-MM")
