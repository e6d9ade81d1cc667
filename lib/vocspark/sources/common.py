"""Pieces shared by the raw-source parsers.

Every parser returns the ``documents`` columns it knows, plus ``raw`` (the record as read, kept only for rejected
rows), ``source_file`` and ``_outcome`` (see :mod:`vocspark.io`): null for a good record, ``rejected:<reason>``
for a malformed one, ``filtered:<rule>`` for a well-formed record a source rule drops (marketplace, language,
keyword). Rules are applied in the order listed; a record gets the first one that holds.
"""
from __future__ import annotations

import re
from typing import Iterable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

REPLACEMENT_CHAR = "\ufffd"  # what Spark's UTF-8 decoding puts where the bytes were not valid UTF-8


def read_lines(spark: SparkSession, uri: str | list[str]) -> DataFrame:
    """Every line of every file under ``uri`` (recursively; gzip and bzip2 files are decompressed); ``uri`` may be
    a list of files."""
    return (
        spark.read.option("recursiveFileLookup", "true")
        .text(uri)
        .select(F.col("value").alias("raw"), F.input_file_name().alias("source_file"))
    )


def has_invalid_utf8(col: Column) -> Column:
    """True when the value is not valid UTF-8.

    The text reader hands Spark the file's bytes unchecked, so the bytes are compared with their re-encoding
    through a Java string (which turns every invalid sequence into U+FFFD); readers that decode themselves (CSV)
    already put U+FFFD in place of the bytes, which the second test catches.
    """
    return (F.encode(col, "UTF-8") != col.cast("binary")) | (F.instr(col, REPLACEMENT_CHAR) > 0)


def is_blank(col: Column) -> Column:
    return col.isNull() | (F.length(F.trim(col)) == 0)


def keyword_pattern(keywords: Iterable[str]) -> str:
    """Java regex matching any keyword as a whole word (a leading ``#`` or ``@`` allowed), case-insensitive and
    Unicode-aware, so ``envío`` does not match inside ``envíos``... but does match ``#envío``."""
    words = sorted({k.strip().lower() for k in keywords if k and k.strip()}, key=lambda w: (-len(w), w))
    if not words:
        raise ValueError("keyword list is empty")
    alternatives = "|".join(re.escape(w) for w in words)
    return rf"(?iu)(?<![\p{{L}}\p{{N}}_])(?:{alternatives})(?![\p{{L}}\p{{N}}_])"


def mentions_keyword(col: Column, keywords: Iterable[str]) -> Column:
    return F.coalesce(col.rlike(keyword_pattern(keywords)), F.lit(False))
