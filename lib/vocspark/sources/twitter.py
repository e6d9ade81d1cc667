"""Tweets in the Twitter API v2 shape, as JSON lines delivered by Kinesis Firehose.

Firehose writes many small files under ``yyyy/mm/dd/hh/`` prefixes (UTC hour of arrival). They are read together
(Spark packs the small files of each hour into few partitions: the hourly combine), and each record keeps its file
in ``source_file`` and the prefix hour in ``delivery_hour`` for lineage.

Rules, in order:

=================  =========  ==============================================================================
rule               outcome    when
=================  =========  ==============================================================================
blank_line         filtered   an empty line
invalid_utf8       rejected   the line holds bytes that are not UTF-8
malformed_json     rejected   not a JSON object of the expected shape (truncated, wrong types, trailing text)
missing_id         rejected   no ``id``
bad_date           rejected   ``created_at`` missing or not ISO-8601 UTC (``2021-05-01T12:34:56.000Z``)
implausible_date   rejected   ``created_at`` outside the source's window (:func:`~.common.plausible_window`)
missing_text       rejected   no ``text`` or blank text
lang               filtered   ``lang`` not in ``sources.<name>.langs``
keyword            filtered   the text mentions none of ``sources.<name>.keywords`` (when set)
=================  =========  ==============================================================================
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import io
from vocspark.config import SourceConfig
from vocspark.sources.common import (
    has_invalid_utf8, is_blank, is_implausible, mentions_keyword, plausible_window, read_lines,
)

CORRUPT = "_corrupt_record"
METRICS = ("retweet_count", "reply_count", "like_count", "quote_count")
TWEET_SCHEMA = T.StructType(
    [
        T.StructField("id", T.StringType()),
        T.StructField("text", T.StringType()),
        T.StructField("created_at", T.StringType()),
        T.StructField("author_id", T.StringType()),
        T.StructField("lang", T.StringType()),
        T.StructField("public_metrics", T.StructType([T.StructField(m, T.LongType()) for m in METRICS])),
        T.StructField(CORRUPT, T.StringType()),
    ]
)
JSON_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
HOUR_PATTERN = r"/(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+$"


def parse_timestamp(col):
    """ISO-8601 UTC with or without milliseconds; null when unparseable."""
    return F.coalesce(
        F.to_timestamp(col, "yyyy-MM-dd'T'HH:mm:ss.SSSX"),
        F.to_timestamp(col, "yyyy-MM-dd'T'HH:mm:ssX"),
    )


def delivery_hour(path_col):
    """The Firehose ``yyyy/mm/dd/hh`` prefix of a file as a UTC timestamp, null when the path has none."""
    parts = [F.regexp_extract(path_col, HOUR_PATTERN, i) for i in range(1, 5)]
    text = F.concat(parts[0], F.lit("-"), parts[1], F.lit("-"), parts[2], F.lit(" "), parts[3], F.lit(":00:00"))
    return F.when(parts[0] != "", F.to_timestamp(text, "yyyy-MM-dd HH:mm:ss"))


def delivery_date(uri: str) -> dt.date | None:
    """The UTC day of a file's Firehose ``yyyy/mm/dd/hh/`` prefix (the same pattern as :func:`delivery_hour`, in
    Python, for choosing files before reading them); None when the path has no such prefix."""
    match = re.search(HOUR_PATTERN, uri)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def to_documents(
    lines_df: DataFrame, source: str, langs: Sequence[str], keywords: Sequence[str] | None,
    window: tuple[dt.datetime, dt.datetime],
) -> DataFrame:
    """``window``: the (earliest, latest) plausible ``created_at``, inclusive."""
    parsed_df = lines_df.select(
        "raw", "source_file", F.from_json(F.col("raw"), TWEET_SCHEMA, JSON_OPTIONS).alias("j")
    )
    created_at = parse_timestamp(F.col("j.created_at"))
    text = F.col("j.text")
    is_json_object = F.col("j").isNotNull() & F.col(f"j.{CORRUPT}").isNull()
    outcome = io.first_outcome(
        (F.length(F.col("raw")) == 0, io.filtered("blank_line")),
        (has_invalid_utf8(F.col("raw")), io.reject("invalid_utf8")),
        (~is_json_object, io.reject("malformed_json")),
        (is_blank(F.col("j.id")), io.reject("missing_id")),
        (created_at.isNull(), io.reject("bad_date")),
        (is_implausible(created_at, window), io.reject("implausible_date")),
        (is_blank(text), io.reject("missing_text")),
        (~F.coalesce(F.col("j.lang").isin(list(langs)), F.lit(False)), io.filtered("lang")),
        (~mentions_keyword(text, keywords) if keywords else F.lit(False), io.filtered("keyword")),
    )
    return parsed_df.select(
        F.lit(source).alias("source"),
        F.trim(F.col("j.id")).alias("doc_id"),
        F.col("j.author_id").alias("user_id"),
        created_at.alias("created_at"),
        F.col("j.lang").alias("lang"),
        text.alias("text"),
        *[F.col(f"j.public_metrics.{m}").cast("int").alias(m) for m in METRICS],
        F.col("source_file"),
        delivery_hour(F.col("source_file")).alias("delivery_hour"),
        F.col("raw"),
        outcome.alias(io.OUTCOME),
    )


def parse(spark: SparkSession, uri: str | list[str], source: str, src: SourceConfig, now: dt.datetime) -> DataFrame:
    """``uri``: the source folder, or the list of files to read; ``now``: the run's reference time
    (:func:`~vocspark.sources.common.reference_time`)."""
    return to_documents(read_lines(spark, uri), source, src.langs, src.keywords, plausible_window(src, now))
