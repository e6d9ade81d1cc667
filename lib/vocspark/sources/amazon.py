"""Amazon Customer Reviews TSV (the public dataset's 15 columns, tab separated, no quoting, a header line).

Rules, in order (a record gets the first that holds):

====================  =========  ===========================================================================
rule                  outcome    when
====================  =========  ===========================================================================
blank_line            filtered   an empty line
invalid_utf8          rejected   the line holds bytes that are not UTF-8
column_count          rejected   not exactly 15 tab-separated fields (e.g. a broken quote split the line)
missing_id            rejected   blank review_id
bad_date              rejected   review_date is not a real ``yyyy-MM-dd`` date
implausible_date      rejected   review_date outside the source's window (:func:`~.common.plausible_window`)
bad_number            rejected   star_rating not an integer 1..5, or votes not non-negative integers
missing_text          rejected   blank review_body
marketplace           filtered   marketplace not in ``sources.<name>.marketplaces`` (when set)
====================  =========  ===========================================================================

Header lines (one per file) are not records and are not counted; empty lines are counted as
``filtered:blank_line``.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import SourceConfig
from vocspark.sources.common import has_invalid_utf8, is_blank, is_implausible, plausible_window, read_lines

COLUMNS = (
    "marketplace", "customer_id", "review_id", "product_id", "product_parent", "product_title",
    "product_category", "star_rating", "helpful_votes", "total_votes", "vine", "verified_purchase",
    "review_headline", "review_body", "review_date",
)
HEADER_PREFIX = "marketplace\tcustomer_id\t"


def _int_or_null(col_name: str):
    return F.when(F.col(col_name).rlike(r"^\s*\d{1,9}\s*$"), F.trim(F.col(col_name)).cast("int"))


def _yes_no(col_name: str):
    value = F.upper(F.trim(F.col(col_name)))
    return F.when(value == "Y", F.lit(True)).when(value == "N", F.lit(False))


def split_fields(lines_df: DataFrame) -> DataFrame:
    """raw line -> one column per TSV field (null when the line has fewer fields) + n_fields."""
    fields = F.split(F.col("raw"), "\t", -1)
    return lines_df.select(
        "raw",
        "source_file",
        F.size(fields).alias("n_fields"),
        *[fields.getItem(i).alias(name) for i, name in enumerate(COLUMNS)],
    )


def to_documents(
    fields_df: DataFrame, source: str, lang: str, marketplaces: Sequence[str] | None,
    window: tuple[dt.datetime, dt.datetime],
) -> DataFrame:
    """Typed ``documents`` columns plus ``_outcome`` from the split fields; ``window``: the (earliest, latest)
    plausible ``created_at`` (the review date at UTC midnight), inclusive."""
    review_date = F.to_date(F.col("review_date"), "yyyy-MM-dd")
    created_at = F.to_timestamp(review_date)
    is_date_text = F.coalesce(F.col("review_date").rlike(r"^\d{4}-\d{2}-\d{2}$"), F.lit(False))
    star = _int_or_null("star_rating")
    bad_number = (
        star.isNull()
        | ~star.between(1, 5)
        | _int_or_null("helpful_votes").isNull()
        | _int_or_null("total_votes").isNull()
    )
    wrong_market = (
        ~F.coalesce(F.trim(F.col("marketplace")).isin(list(marketplaces)), F.lit(False))
        if marketplaces
        else F.lit(False)
    )
    outcome = io.first_outcome(
        (F.length(F.col("raw")) == 0, io.filtered("blank_line")),
        (has_invalid_utf8(F.col("raw")), io.reject("invalid_utf8")),
        (F.col("n_fields") != len(COLUMNS), io.reject("column_count")),
        (is_blank(F.col("review_id")), io.reject("missing_id")),
        (~is_date_text | review_date.isNull(), io.reject("bad_date")),
        (is_implausible(created_at, window), io.reject("implausible_date")),
        (bad_number, io.reject("bad_number")),
        (is_blank(F.col("review_body")), io.reject("missing_text")),
        (wrong_market, io.filtered("marketplace")),
    )
    return fields_df.select(
        F.lit(source).alias("source"),
        F.trim(F.col("review_id")).alias("doc_id"),
        F.trim(F.col("customer_id")).alias("user_id"),
        created_at.alias("created_at"),
        F.lit(lang).alias("lang"),
        F.col("review_body").alias("text"),
        F.trim(F.col("product_id")).alias("product_id"),
        F.trim(F.col("product_parent")).alias("product_parent"),
        F.col("product_title"),
        F.trim(F.col("product_category")).alias("product_category"),
        star.alias("star_rating"),
        _int_or_null("helpful_votes").alias("helpful_votes"),
        _int_or_null("total_votes").alias("total_votes"),
        _yes_no("verified_purchase").alias("verified_purchase"),
        _yes_no("vine").alias("vine"),
        F.trim(F.col("marketplace")).alias("marketplace"),
        F.col("review_headline").alias("headline"),
        F.col("source_file"),
        F.col("raw"),
        outcome.alias(io.OUTCOME),
    )


def parse(spark: SparkSession, uri: str | list[str], source: str, src: SourceConfig, now: dt.datetime) -> DataFrame:
    """``uri``: the source folder, or the list of files to read; ``now``: the run's reference time
    (:func:`~vocspark.sources.common.reference_time`)."""
    lines_df = read_lines(spark, uri)
    is_header = F.col("raw").startswith(HEADER_PREFIX)
    records_df = lines_df.where(~is_header)
    return to_documents(
        split_fields(records_df), source, src.lang or "en", src.marketplaces, plausible_window(src, now)
    )
