"""Instagram-style comments CSV: header ``interaction_date,user_name,url,text``, RFC 4180 quoting (a quoted field
may hold commas, doubled quotes and newlines), ``interaction_date`` as ``yyyy-MM-dd HH:mm:ss`` UTC.

Parsed with Spark's CSV reader in multi-line mode (one task per file: quoted newlines cannot be split safely).
The comments have no id of their own: ``doc_id`` is :func:`vocspark.sources.ids.hashed_doc_id`.

Rules, in order:

=================  =========  ==============================================================================
rule               outcome    when
=================  =========  ==============================================================================
invalid_utf8       rejected   the record holds bytes that are not UTF-8
column_count       rejected   more or fewer than 4 fields (e.g. unquoted commas in the text)
broken_quoting     rejected   a quoted field with stray unescaped quotes (the parser keeps the field's
                              opening quote, so the value starts with ``"``)
bad_date           rejected   ``interaction_date`` not a real ``yyyy-MM-dd HH:mm:ss``
implausible_date   rejected   ``interaction_date`` outside the source's window (:func:`~.common.plausible_window`)
missing_text       rejected   blank text
=================  =========  ==============================================================================

An unterminated quote makes any CSV parser read on to the next quote, possibly the end of the file; the swallowed
lines then arrive as one ``broken_quoting`` rejected record whose ``raw`` holds them all, so they are not lost.
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import io
from vocspark.config import SourceConfig
from vocspark.sources.common import has_invalid_utf8, is_blank, is_implausible, plausible_window
from vocspark.sources.ids import hashed_doc_id

COLUMNS = ("interaction_date", "user_name", "url", "text")
CORRUPT = "_corrupt_record"
CSV_SCHEMA = T.StructType([T.StructField(c, T.StringType()) for c in (*COLUMNS, CORRUPT)])
CSV_OPTIONS = {
    "header": "true",
    "multiLine": "true",
    "mode": "PERMISSIVE",
    "columnNameOfCorruptRecord": CORRUPT,
    "escape": '"',
    "encoding": "UTF-8",
    "recursiveFileLookup": "true",
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
}


def read_csv(spark: SparkSession, uri: str | list[str]) -> DataFrame:
    return (
        spark.read.schema(CSV_SCHEMA)
        .options(**CSV_OPTIONS)
        .csv(uri)
        .select(*COLUMNS, CORRUPT, F.input_file_name().alias("source_file"))
    )


def to_documents(csv_df: DataFrame, source: str, lang: str, window: tuple[dt.datetime, dt.datetime]) -> DataFrame:
    """``window``: the (earliest, latest) plausible ``created_at``, inclusive."""
    created_at = F.to_timestamp(F.col("interaction_date"), "yyyy-MM-dd HH:mm:ss")
    raw = F.coalesce(F.col(CORRUPT), F.to_csv(F.struct(*[F.col(c) for c in COLUMNS])))
    any_invalid = F.greatest(*[F.coalesce(has_invalid_utf8(F.col(c)), F.lit(False)) for c in (*COLUMNS, CORRUPT)])
    broken_quote = F.coalesce(F.col("text").startswith('"'), F.lit(False))
    is_date_text = F.coalesce(F.col("interaction_date").rlike(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"), F.lit(False))
    outcome = io.first_outcome(
        (any_invalid, io.reject("invalid_utf8")),
        (F.col(CORRUPT).isNotNull(), io.reject("column_count")),
        (broken_quote, io.reject("broken_quoting")),
        (~is_date_text | created_at.isNull(), io.reject("bad_date")),
        (is_implausible(created_at, window), io.reject("implausible_date")),
        (is_blank(F.col("text")), io.reject("missing_text")),
    )
    return csv_df.select(
        F.lit(source).alias("source"),
        hashed_doc_id(F.lit(source), F.col("user_name"), created_at, F.col("text")).alias("doc_id"),
        F.col("user_name").alias("user_id"),
        created_at.alias("created_at"),
        F.lit(lang).alias("lang"),
        F.col("text"),
        F.col("url"),
        F.col("source_file"),
        raw.alias("raw"),
        outcome.alias(io.OUTCOME),
    )


def parse(spark: SparkSession, uri: str | list[str], source: str, src: SourceConfig, now: dt.datetime) -> DataFrame:
    """``uri``: the source folder, or the list of files to read; ``now``: the run's reference time
    (:func:`~vocspark.sources.common.reference_time`)."""
    return to_documents(read_csv(spark, uri), source, src.lang or "pt", plausible_window(src, now))
