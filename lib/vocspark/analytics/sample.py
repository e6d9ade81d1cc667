"""A representative, deterministic sample of the reviews: stratified per month, then the category drop rule.

Rules (``analytics.sample``):

1. Every valid review (see :mod:`vocspark.analytics.tables` for the review rules) gets a uniform number
   ``u`` in [0, 1) from a 64-bit hash of (seed, source, doc_id): the same review always gets the same number,
   whatever the partitioning, the cluster or the order of the input, so a rerun samples the same rows.
2. Per month, the target is ``max(1, round(fraction * rows))`` (so every month with a review keeps at least one)
   and the sample is the target's number of reviews with the smallest ``(u, doc_id)``: a uniform random sample
   of exactly that size, with the same fraction in every month (proportional stratified sampling).
3. Category drop: categories holding less than ``min_category_share`` of the sampled rows (strictly less) are
   dropped from the sample. This runs after rule 2, so a month can lose its only row to it; the month table
   shows it (``kept`` = 0).

How rule 2 stays cheap: one small aggregate counts the rows per month; only the candidates with ``u`` below a
per-month threshold (the target plus a margin of 4 standard deviations and 10 rows, divided by the month's rows)
are ranked in a window, which yields each month's cutoff ``(u, doc_id)``; a review is sampled when its
``(u, doc_id)`` is at most its month's cutoff, a plain column expression. A month with fewer candidates than its
target (a chance below 1e-4) keeps all its candidates; the month table then shows ``sampled`` < ``target``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import io

_MASK = 0x7FFFFFFFFFFFFFFF
_SCALE = float(2**63)

MONTHS_SCHEMA = T.StructType([
    T.StructField("month", T.StringType(), False),
    T.StructField("rows", T.LongType(), False),  # valid reviews of the month
    T.StructField("target", T.LongType(), False),  # max(1, round(fraction * rows))
    T.StructField("sampled", T.LongType(), False),  # after rule 2
    T.StructField("kept", T.LongType(), False),  # after the category drop
])
CATEGORIES_SCHEMA = T.StructType([
    T.StructField("product_category", T.StringType(), False),
    T.StructField("sampled", T.LongType(), False),
    T.StructField("share", T.DoubleType(), False),
    T.StructField("dropped", T.BooleanType(), False),
])


def uniform(seed: int) -> Column:
    """A deterministic uniform number in [0, 1) per review, from xxhash64(seed, source, doc_id)."""
    hashed = F.xxhash64(F.lit(seed), F.col("source"), F.col("doc_id")).bitwiseAND(F.lit(_MASK))
    return hashed.cast(T.DoubleType()) / F.lit(_SCALE)


def target_rows(rows: int, fraction: float) -> int:
    return max(1, int(round(fraction * rows))) if rows else 0


def candidate_threshold(rows: int, target: int) -> float:
    """``u`` below which a month's reviews are ranked: the target plus 4 standard deviations and 10 rows."""
    wanted = target + 4 * math.sqrt(target) + 10
    return 1.0 if wanted >= rows else wanted / rows


@dataclass
class SamplePlan:
    """Per month: rows, target, candidate threshold, and the cutoff (u, doc_id) of its last sampled review."""

    months: dict[str, dict]  # month -> {"rows", "target", "threshold"}
    cutoffs: dict[str, tuple[float, str]]


def _month_map(values: dict[str, object]) -> Column:
    """A literal map month -> value, looked up with the row's month (null for a month not in it)."""
    if not values:
        return F.lit(None)
    return F.create_map(*[F.lit(x) for kv in sorted(values.items()) for x in kv])[F.col("month")]


def plan_sample(valid_df: DataFrame, fraction: float, seed: int) -> SamplePlan:
    """Rows per month (one small aggregate), then each month's cutoff from its ranked candidates (rule 2)."""
    rows = {r["month"]: int(r["rows"]) for r in valid_df.groupBy("month").agg(F.count(F.lit(1)).alias("rows")).collect()}
    months = {}
    for month, n in rows.items():
        target = target_rows(n, fraction)
        months[month] = {"rows": n, "target": target, "threshold": candidate_threshold(n, target)}
    u = uniform(seed)
    candidates = valid_df.where(u < _month_map({m: v["threshold"] for m, v in months.items()})).select(
        F.col("month"), F.col("doc_id"), u.alias("u"))
    smallest_first = Window.partitionBy("month").orderBy(F.col("u"), F.col("doc_id"))
    ranked = candidates.withColumn("rank", F.row_number().over(smallest_first)).where(
        F.col("rank") <= _month_map({m: v["target"] for m, v in months.items()}))
    last = ranked.groupBy("month").agg(F.max(F.struct(F.col("u"), F.col("doc_id"))).alias("last"))
    cutoffs = {r["month"]: (float(r["last"]["u"]), r["last"]["doc_id"]) for r in last.collect()}  # one per month
    return SamplePlan(months, cutoffs)


def is_sampled(plan: SamplePlan, seed: int) -> Column:
    """Rule 2 as a column: ``(u, doc_id)`` at most the month's cutoff (false for a month without one)."""
    u = uniform(seed)
    cut_u = _month_map({m: c[0] for m, c in plan.cutoffs.items()})
    cut_doc = _month_map({m: c[1] for m, c in plan.cutoffs.items()})
    return F.coalesce((u < cut_u) | ((u == cut_u) & (F.col("doc_id") <= cut_doc)), F.lit(False))


def category_shares(sampled_df: DataFrame, min_share: float) -> list[dict]:
    """Sampled rows per category, their share of the sample and whether rule 4 drops them (small: one row per
    category), largest first then by name."""
    rows = sampled_df.groupBy("product_category").agg(F.count(F.lit(1)).alias("sampled")).collect()
    total = sum(int(r["sampled"]) for r in rows)
    out = []
    for r in rows:
        share = int(r["sampled"]) / total if total else 0.0
        out.append({"product_category": r["product_category"], "sampled": int(r["sampled"]), "share": share,
                    "dropped": share < min_share})
    return sorted(out, key=lambda d: (-d["sampled"], d["product_category"]))


def mark_sample_outcomes(staged_df: DataFrame, plan: SamplePlan, seed: int, dropped: list[str]) -> DataFrame:
    """``_outcome`` after the review rules (already set): ``filtered:not_sampled`` (rule 2), then
    ``filtered:small_category`` (rule 3); null = in the sample."""
    is_valid = F.col(io.OUTCOME).isNull()
    is_dropped = F.col("product_category").isin(dropped) if dropped else F.lit(False)
    return staged_df.withColumn(io.OUTCOME, io.first_outcome(
        (~is_valid, F.col(io.OUTCOME)),
        (~is_sampled(plan, seed), io.filtered("not_sampled")),
        (is_dropped, io.filtered("small_category")),
    ))


def month_rows(plan: SamplePlan, sampled: dict[str, int], kept: dict[str, int]) -> list[tuple]:
    """The month table: (month, rows, target, sampled, kept), by month."""
    return [
        (m, int(v["rows"]), int(v["target"]), int(sampled.get(m, 0)), int(kept.get(m, 0)))
        for m, v in sorted(plan.months.items())
    ]
