"""Descriptive tables of a review corpus (the ``analytics`` job), and the pieces every review-analytics job shares:
reading ``documents_clean``, the review validity rules, rejected rows and writing a small table as Parquet + CSV.

Every table is a small aggregate computed in Spark (one row per month, category, star rating, or a top-n list);
none is collected to the driver by this module.

Review rules (first match wins; a review that breaks one is rejected by every review job, with the reason):
``missing_product`` (null or empty product_id), ``missing_category`` (null or empty product_category),
``bad_star_rating`` (null or outside 1..5). The graph export also rejects ``missing_user`` (no customer vertex).

Definitions used by the tables:

- positive = star rating 4 or 5, negative = 1, 2 or 3 (the original analysis counted 3 as negative);
- review length = characters of ``text`` (as delivered) and ``n_tokens`` (after preprocessing);
- median and p90 are ``percentile_approx`` (exact below ``analytics.percentile_accuracy`` rows per group): the
  smallest value with at least 50% / 90% of the group's values at or below it, so always a value of the group;
- helpfulness = sum(helpful_votes) / sum(total_votes) over the reviews of a group (null when nobody voted),
  and ``mean_review_helpfulness`` = the mean of helpful / total over the reviews with at least one vote;
- ties in ranked tables go to the smaller id (``product_id``), so reruns give identical rows.
"""
from __future__ import annotations

import logging
import uuid
from typing import Iterable

from pyspark.sql import Column, DataFrame, Observation, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import io, schemas
from vocspark.config import ConfigError

log = logging.getLogger(__name__)

REVIEW_RULES = ("missing_product", "missing_category", "bad_star_rating")

# Columns of documents_clean the review jobs need (narrow reads: tokens only where drift needs them).
REVIEW_COLUMNS = (
    "source", "doc_id", "user_id", "created_at", "month", "lang", "text", "product_id", "product_parent",
    "product_title", "product_category", "star_rating", "helpful_votes", "total_votes", "verified_purchase",
    "n_tokens", "source_file",
)


# --------------------------------------------------------------------------- reading and validity
def read_clean(spark: SparkSession, uri: str, source: str | None = None,
               columns: Iterable[str] | None = None) -> DataFrame:
    """``documents_clean`` rows (of ``source`` only when given: a partition filter, other sources are not read)."""
    df = io.read_dataset(spark, uri, schemas.DOCUMENTS_CLEAN)
    if source is not None:
        df = df.where(F.col("source") == source)
    return df.select(*[F.col(c) for c in columns]) if columns is not None else df


def _blank(name: str) -> Column:
    return F.col(name).isNull() | (F.trim(F.col(name)) == "")


def review_outcome(require_user: bool = False) -> Column:
    """``_outcome`` of a review row: ``rejected:<rule>`` for the first broken rule, else null (valid)."""
    is_bad_star = F.col("star_rating").isNull() | ~F.col("star_rating").between(1, 5)
    cases = [
        (_blank("product_id"), io.reject("missing_product")),
        (_blank("product_category"), io.reject("missing_category")),
        (is_bad_star, io.reject("bad_star_rating")),
    ]
    if require_user:
        cases.append((_blank("user_id"), io.reject("missing_user")))
    return io.first_outcome(*cases)


def with_review_outcome(df: DataFrame, require_user: bool = False) -> DataFrame:
    return df.withColumn(io.OUTCOME, review_outcome(require_user))


def rejected_reviews(staged_df: DataFrame, job: str, run_id: str) -> DataFrame:
    """Rejected rows of ``staged_df`` in the ``rejected`` contract; ``raw`` is the row as JSON (no tokens)."""
    raw_cols = [c for c in staged_df.columns if c not in (io.OUTCOME, "tokens", "text_clean")]
    with_raw = staged_df.withColumn("raw", F.to_json(F.struct(*[F.col(c) for c in raw_cols]), {"timeZone": "UTC"}))
    return io.rejected_rows(with_raw, job, run_id, io.run_month())


def write_rejected_reviews(staged_df: DataFrame, job: str, run_id: str, base_uri: str) -> str:
    return io.write_rejected(rejected_reviews(staged_df, job, run_id), base_uri)


# --------------------------------------------------------------------------- writing a small table
def table_uris(out_uri: str, name: str) -> tuple[str, str]:
    """(Parquet folder, CSV file) of table ``name`` under the analytics output."""
    base = out_uri.rstrip("/")
    return f"{base}/tables/{name}", f"{base}/csv/{name}.csv"


def write_table(df: DataFrame, out_uri: str, name: str) -> dict[str, str]:
    """Write a small table twice: Parquet (one file, ``<out>/tables/<name>/``) and one CSV file with a header
    (``<out>/csv/<name>.csv``; array columns joined with ``|``). Both are replaced whole on every run (a table is recomputed from all its input),
    so reruns are idempotent. Returns the two URIs and the rows written."""
    spark = df.sparkSession
    parquet_uri, csv_uri = table_uris(out_uri, name)
    one_df = df.coalesce(1)
    one_df.write.mode("overwrite").parquet(parquet_uri)
    tmp_uri = f"{csv_uri}._tmp"
    written_df = spark.read.parquet(parquet_uri)
    flat = [  # CSV has no arrays: a list of strings becomes one "a|b|c" field
        F.concat_ws("|", F.col(f.name)).alias(f.name) if isinstance(f.dataType, T.ArrayType) else F.col(f.name)
        for f in written_df.schema
    ]
    observation = Observation(f"rows_{name}_{uuid.uuid4().hex}")  # rows counted while the CSV is written
    (
        written_df.select(*flat).observe(observation, F.count(F.lit(1)).alias("rows")).coalesce(1)
        .write.mode("overwrite")
        .option("header", True).option("escape", '"').option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss'Z'")
        .csv(tmp_uri)
    )
    io.move_single_part(spark, tmp_uri, csv_uri)
    return {"parquet": parquet_uri, "csv": csv_uri, "rows": int(observation.get["rows"])}


def read_table(spark: SparkSession, out_uri: str, name: str) -> DataFrame | None:
    parquet_uri, _ = table_uris(out_uri, name)
    return spark.read.parquet(parquet_uri) if io.path_exists(spark, parquet_uri) else None


# --------------------------------------------------------------------------- the tables
def with_length(df: DataFrame) -> DataFrame:
    """``n_chars`` (characters of ``text``) and ``year`` (from ``month``)."""
    return df.withColumns({
        "n_chars": F.length(F.col("text")).cast(T.IntegerType()),
        "year": F.substring(F.col("month"), 1, 4).cast(T.IntegerType()),
    })


def monthly_category_volume(reviews_df: DataFrame) -> DataFrame:
    """1. Per month x category: reviews, unique products, products with more than one review (in that month)."""
    per_product = reviews_df.groupBy("month", "product_category", "product_id").agg(F.count(F.lit(1)).alias("n"))
    return per_product.groupBy("month", "product_category").agg(
        F.sum("n").cast(T.LongType()).alias("reviews"),
        F.count(F.lit(1)).alias("unique_products"),
        F.count(F.when(F.col("n") > 1, 1)).alias("products_multi_review"),
    )


def length_stats(reviews_df: DataFrame, group_cols: list[str], accuracy: int = 10000) -> DataFrame:
    """2. Review length (characters and tokens) per group: reviews, mean, median, p90."""
    aggs = [F.count(F.lit(1)).alias("reviews")]
    for col, prefix in (("n_chars", "chars"), ("n_tokens", "tokens")):
        aggs += [
            F.avg(col).alias(f"{prefix}_mean"),
            F.percentile_approx(col, 0.5, accuracy).alias(f"{prefix}_median"),
            F.percentile_approx(col, 0.9, accuracy).alias(f"{prefix}_p90"),
        ]
    return reviews_df.groupBy(*group_cols).agg(*aggs)


HISTOGRAM_WIDTH = 50  # characters per bucket of the length histogram
HISTOGRAM_CAP = 2000  # longer reviews all fall in the last bucket (starting at the cap)


def length_histogram(reviews_df: DataFrame, width: int = HISTOGRAM_WIDTH, cap: int = HISTOGRAM_CAP) -> DataFrame:
    """2b. The distribution of review length: reviews per category and bucket of ``width`` characters
    (``bucket_start`` = the bucket's first length; lengths of ``cap`` and more share the bucket ``cap``)."""
    bucket = F.least(F.floor(F.col("n_chars") / width) * width, F.lit(cap)).cast(T.IntegerType())
    return reviews_df.groupBy("product_category", bucket.alias("bucket_start")).agg(
        F.count(F.lit(1)).alias("reviews"))


def category_summary(reviews_df: DataFrame) -> DataFrame:
    """3. Per category: reviews, average star rating, first review date (UTC) and instant."""
    return reviews_df.groupBy("product_category").agg(
        F.count(F.lit(1)).alias("reviews"),
        F.avg("star_rating").alias("avg_star_rating"),
        F.to_date(F.min("created_at")).alias("first_review_date"),
        F.min("created_at").alias("first_review_at"),
    )


def star_breakdown(reviews_df: DataFrame) -> DataFrame:
    """4a. Per category x star rating: reviews and share of the category's reviews."""
    counts = reviews_df.groupBy("product_category", "star_rating").agg(F.count(F.lit(1)).alias("reviews"))
    per_category = Window.partitionBy("product_category").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    return counts.withColumn("share", F.col("reviews") / F.sum("reviews").over(per_category))


def reviews_by_star(reviews_df: DataFrame) -> DataFrame:
    """4b. Per star rating: reviews and share of all reviews (a small table: at most 5 rows)."""
    counts = reviews_df.groupBy("star_rating").agg(F.count(F.lit(1)).alias("reviews"))
    total = counts.agg(F.sum("reviews").alias("total"))
    return counts.crossJoin(F.broadcast(total)).select(
        "star_rating", "reviews", (F.col("reviews") / F.col("total")).alias("share")
    )


def rating_by_month(reviews_df: DataFrame) -> DataFrame:
    """4c. Star rating over time: per month, reviews and average star rating."""
    return reviews_df.groupBy("month").agg(
        F.count(F.lit(1)).alias("reviews"), F.avg("star_rating").alias("avg_star_rating")
    )


def helpfulness_by_star(reviews_df: DataFrame) -> DataFrame:
    """5a. Per star rating: helpful and total votes, their ratio, and the mean per-review ratio."""
    has_votes = F.col("total_votes") > 0
    return reviews_df.groupBy("star_rating").agg(
        F.count(F.lit(1)).alias("reviews"),
        F.count(F.when(has_votes, 1)).alias("reviews_with_votes"),
        F.coalesce(F.sum("helpful_votes"), F.lit(0)).cast(T.LongType()).alias("helpful_votes"),
        F.coalesce(F.sum("total_votes"), F.lit(0)).cast(T.LongType()).alias("total_votes"),
        (F.sum(F.when(has_votes, F.col("helpful_votes"))) / F.sum(F.when(has_votes, F.col("total_votes"))))
        .alias("helpfulness"),
        F.avg(F.when(has_votes, F.col("helpful_votes") / F.col("total_votes"))).alias("mean_review_helpfulness"),
    )


def top_helpful_products(reviews_df: DataFrame, n: int) -> DataFrame:
    """5b. The ``n`` products whose reviews got the most helpful votes (ties: smaller product_id), with how long
    their reviews are (all reviews, and the reviews with at least one helpful vote)."""
    is_helpful = F.col("helpful_votes") > 0
    per_product = reviews_df.groupBy("product_id").agg(
        F.max("product_title").alias("product_title"),
        F.max("product_category").alias("product_category"),
        F.count(F.lit(1)).alias("reviews"),
        F.count(F.when(is_helpful, 1)).alias("helpful_reviews"),
        F.coalesce(F.sum("helpful_votes"), F.lit(0)).cast(T.LongType()).alias("helpful_votes"),
        F.avg("n_chars").alias("chars_mean"),
        F.avg(F.when(is_helpful, F.col("n_chars"))).alias("helpful_chars_mean"),
        F.avg(F.when(is_helpful, F.col("n_tokens"))).alias("helpful_tokens_mean"),
    )
    top = per_product.where(F.col("helpful_votes") > 0).orderBy(F.desc("helpful_votes"), F.asc("product_id")).limit(n)
    ranked = Window.orderBy(F.desc("helpful_votes"), F.asc("product_id"))  # over at most n rows
    return top.withColumn("rank", F.row_number().over(ranked))


def positive_negative(reviews_df: DataFrame) -> DataFrame:
    """6. Positive (4-5) and negative (1-3) reviews and their ratio (null without negatives), overall and per
    category (``scope`` = overall | category; ``product_category`` null on the overall row)."""
    flags = reviews_df.select(
        "product_category",
        (F.col("star_rating") >= 4).cast(T.IntegerType()).alias("pos"),
        (F.col("star_rating") <= 3).cast(T.IntegerType()).alias("neg"),
    )
    per_category = flags.groupBy("product_category").agg(
        F.sum("pos").cast(T.LongType()).alias("positive"), F.sum("neg").cast(T.LongType()).alias("negative")
    )
    overall = per_category.agg(
        F.sum("positive").cast(T.LongType()).alias("positive"), F.sum("negative").cast(T.LongType()).alias("negative")
    ).select(F.lit("overall").alias("scope"), F.lit(None).cast(T.StringType()).alias("product_category"), "positive", "negative")
    both = overall.unionByName(per_category.select(F.lit("category").alias("scope"), "product_category", "positive", "negative"))
    ratio = F.when(F.col("negative") > 0, F.col("positive") / F.col("negative"))
    return both.withColumn("positive_negative_ratio", ratio)


def repeat_reviewers(reviews_df: DataFrame) -> DataFrame:
    """7. Customers who reviewed the same product more than once: reviews and average rating per product."""
    return (
        reviews_df.where(F.col("user_id").isNotNull())
        .groupBy("user_id", "product_id")
        .agg(
            F.count(F.lit(1)).alias("reviews"),
            F.avg("star_rating").alias("avg_star_rating"),
            F.min("created_at").alias("first_review_at"),
            F.max("created_at").alias("last_review_at"),
        )
        .where(F.col("reviews") > 1)
    )


def volume_by_source(documents_df: DataFrame) -> DataFrame:
    """8. Documents per month, source and language (every source: tweets and comments as well as reviews)."""
    return documents_df.groupBy("month", "source", "lang").agg(F.count(F.lit(1)).alias("documents"))


def review_tables(reviews_df: DataFrame, top_n: int = 20, accuracy: int = 10000) -> dict[str, DataFrame]:
    """Tables 1-7 from valid reviews (with :func:`with_length` applied), by output name."""
    return {
        "monthly_category_volume": monthly_category_volume(reviews_df),
        "length_by_category": length_stats(reviews_df, ["product_category"], accuracy),
        "length_by_category_year": length_stats(reviews_df, ["product_category", "year"], accuracy),
        "length_histogram": length_histogram(reviews_df),
        "category_summary": category_summary(reviews_df),
        "star_breakdown": star_breakdown(reviews_df),
        "reviews_by_star": reviews_by_star(reviews_df),
        "rating_by_month": rating_by_month(reviews_df),
        "helpfulness_by_star": helpfulness_by_star(reviews_df),
        "top_helpful_products": top_helpful_products(reviews_df, top_n),
        "positive_negative": positive_negative(reviews_df),
        "repeat_reviewers": repeat_reviewers(reviews_df),
    }


# --------------------------------------------------------------------------- job plumbing shared by the review jobs
def analytics_uri(cfg) -> str:
    """``<base_uri>/<analytics.output>``: where every review-analytics output goes."""
    return cfg.uri(cfg.typed.analytics.output)


def reviews_source(cfg) -> str:
    """The configured reviews source, checked against ``sources`` (fails fast naming the key)."""
    settings = cfg.typed
    name = settings.analytics.source
    if name not in settings.sources:
        raise ConfigError(f"{cfg.origin}: `analytics.source` names unknown source {name!r} "
                          f"(have: {', '.join(sorted(settings.sources))})")
    return name

