"""Language drift: the most distinctive terms (TF-IDF) of each group of reviews, and how much the top-k lists of
neighbouring groups overlap, computed in Spark over the full data.

Groups ("families"): (product_category, period) where the period is the year (``analytics.drift.period``:
``year`` = yyyy, ``quarter`` = yyyy-Qn, ``month`` = yyyy-MM), and (product_category, star_rating).

Definitions (each family is its own corpus; a group is one "document" made of all its reviews' tokens):

- ``count`` = occurrences of the term in the group's tokens; terms with ``count < min_term_count`` are ignored;
- ``tf`` = count / all counted tokens of the group;
- ``idf`` = ln((1 + N) / (1 + df)) + 1, with N = the family's groups and df = the groups where the term is counted
  (scikit-learn's smoothed idf);
- top-k per group = the k terms of highest ``tf * idf``, ties to the alphabetically smaller term;
- overlap between two groups = 100 * |top A ∩ top B| / max(|top A|, |top B|) (= |A ∩ B| / k when both lists
  are full), for consecutive periods of a category (each period with the next period the category has data
  for) and for adjacent star ratings of a category (1 vs 2, 2 vs 3, 3 vs 4, 4 vs 5, when both have terms).

Every step is a Spark aggregate or a window over the per-group term table (one row per group and term); the
only rows that reach the driver are the counts for the manifest.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

PERIODS = ("year", "quarter", "month")


def period_of(month_col: str, period: str) -> Column:
    """yyyy, yyyy-Qn or yyyy-MM from a yyyy-MM column."""
    month = F.col(month_col)
    if period == "year":
        return F.substring(month, 1, 4)
    if period == "quarter":
        quarter = F.ceil(F.substring(month, 6, 2).cast(T.IntegerType()) / F.lit(3)).cast(T.IntegerType())
        return F.concat(F.substring(month, 1, 4), F.lit("-Q"), quarter.cast(T.StringType()))
    if period == "month":
        return month
    raise ValueError(f"unknown period {period!r} (one of {PERIODS})")


def base_term_counts(reviews_df: DataFrame, period: str) -> DataFrame:
    """(product_category, period, star_rating, term, count): every token of every review, in one aggregate that
    both families roll up from."""
    exploded = reviews_df.select(
        F.col("product_category"), period_of("month", period).alias("period"), F.col("star_rating"),
        F.explode(F.col("tokens")).alias("term"),
    )
    return exploded.groupBy("product_category", "period", "star_rating", "term").agg(
        F.count(F.lit(1)).alias("count")
    )


def tfidf(base_df: DataFrame, group_cols: list[str], min_term_count: int = 1) -> DataFrame:
    """(group_cols..., term, count, tf, idf, tfidf) for the family grouped by ``group_cols``."""
    counts = (
        base_df.groupBy(*group_cols, "term").agg(F.sum("count").cast(T.LongType()).alias("count"))
        .where(F.col("count") >= min_term_count)
    )
    whole_group = Window.partitionBy(*group_cols).rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    whole_term = Window.partitionBy("term").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    n_groups = counts.select(*group_cols).distinct().agg(F.count(F.lit(1)).alias("n_groups"))
    scored = (
        counts.withColumns({
            "tf": F.col("count") / F.sum("count").over(whole_group),
            "df": F.count(F.lit(1)).over(whole_term),
        })
        .crossJoin(F.broadcast(n_groups))
        .withColumn("idf", F.log((1 + F.col("n_groups")) / (1 + F.col("df"))) + 1)
    )
    return scored.select(*group_cols, "term", "count", "tf", "idf", (F.col("tf") * F.col("idf")).alias("tfidf"))


def top_k(scored_df: DataFrame, group_cols: list[str], k: int) -> DataFrame:
    """The k best terms per group: (group_cols..., rank, term, count, tfidf); ties to the smaller term."""
    best_first = Window.partitionBy(*group_cols).orderBy(F.desc("tfidf"), F.asc("term"))
    return (
        scored_df.withColumn("rank", F.row_number().over(best_first))
        .where(F.col("rank") <= k)
        .select(*group_cols, "rank", "term", "count", "tfidf")
    )


def overlap(top_df: DataFrame, order_col: str, adjacent_step: int | None = None) -> DataFrame:
    """Overlap of the top-k lists of each group with the next group of the same category by ``order_col``.

    ``adjacent_step`` None: the next value the category has (consecutive periods); an int: only pairs whose
    values differ by exactly that much (adjacent star ratings: 1)."""
    sets = top_df.groupBy("product_category", order_col).agg(F.collect_set("term").alias("terms"))
    following = Window.partitionBy("product_category").orderBy(F.col(order_col))
    paired = sets.select(
        F.col("product_category"),
        F.col(order_col).alias(f"{order_col}_from"),
        F.lead(order_col).over(following).alias(f"{order_col}_to"),
        F.col("terms").alias("a"),
        F.lead("terms").over(following).alias("b"),
    ).where(F.col(f"{order_col}_to").isNotNull())
    if adjacent_step is not None:
        paired = paired.where(F.col(f"{order_col}_to") - F.col(f"{order_col}_from") == adjacent_step)
    n_common = F.size(F.array_intersect("a", "b"))
    longest = F.greatest(F.size("a"), F.size("b"))
    return paired.select(
        "product_category", f"{order_col}_from", f"{order_col}_to",
        n_common.alias("n_common"), F.size("a").alias("top_from"), F.size("b").alias("top_to"),
        (F.lit(100.0) * n_common / longest).alias("overlap_pct"),
        F.array_sort(F.array_intersect("a", "b")).alias("common_terms"),
    )


def top_tables(base_df: DataFrame, k: int, min_term_count: int) -> tuple[DataFrame, DataFrame]:
    """(top terms per (category, period), top terms per (category, star_rating)) from the base term table."""
    by_period, by_star = ["product_category", "period"], ["product_category", "star_rating"]
    return (top_k(tfidf(base_df, by_period, min_term_count), by_period, k),
            top_k(tfidf(base_df, by_star, min_term_count), by_star, k))


def overlap_tables(top_period: DataFrame, top_star: DataFrame) -> dict[str, DataFrame]:
    return {
        "drift_overlap_period": overlap(top_period, "period"),
        "drift_overlap_star": overlap(top_star, "star_rating", adjacent_step=1),
    }


def drift_tables(reviews_df: DataFrame, period: str, k: int, min_term_count: int) -> dict[str, DataFrame]:
    """The four drift tables by output name, from valid reviews with tokens."""
    top_period, top_star = top_tables(base_term_counts(reviews_df, period), k, min_term_count)
    return {"drift_top_terms_period": top_period, "drift_top_terms_star": top_star,
            **overlap_tables(top_period, top_star)}
