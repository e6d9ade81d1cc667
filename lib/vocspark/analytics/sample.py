"""A representative, deterministic sample of the reviews: stratified per month, then the category drop rule.

Rules (``analytics.sample``):

1. Every valid review (see :mod:`vocspark.analytics.tables` for the review rules) gets a uniform number
   ``u`` in [0, 1) from a 64-bit hash of (seed, source, doc_id): the same review always gets the same number,
   whatever the partitioning, the cluster or the order of the input, so a rerun samples the same rows.
2. Per month, a review is sampled when ``u < fraction`` (a Bernoulli sample of each month, like ``sampleBy``
   with the same fraction for every stratum; the count per month is ``fraction * n`` up to chance, reported
   next to its target ``max(1, round(fraction * n))``).
3. At least one row per month: a month where no review has ``u < fraction`` keeps its review with the smallest
   ``(u, doc_id)``.
4. Category drop: categories holding less than ``min_category_share`` of the sampled rows (strictly less) are
   dropped from the sample. This runs after rule 3, so a month can lose its only row to it; the month table
   shows it (``kept`` = 0).

Everything is one small aggregate per month (and per category) plus filters: no window over the data.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import io

_MASK = 0x7FFFFFFFFFFFFFFF
_SCALE = float(2**63)

MONTHS_SCHEMA = T.StructType([
    T.StructField("month", T.StringType(), False),
    T.StructField("rows", T.LongType(), False),  # valid reviews of the month
    T.StructField("target", T.LongType(), False),  # max(1, round(fraction * rows))
    T.StructField("sampled", T.LongType(), False),  # after rules 2-3
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


@dataclass
class SamplePlan:
    """What the small per-month aggregate decided: the months and the fallback rows of rule 3."""

    months: dict[str, dict]  # month -> {"rows", "bernoulli", "first_doc"}
    fallback: list[str]  # "month\x01doc_id" of the rows kept by rule 3

    @property
    def fallback_months(self) -> list[str]:
        return sorted(k.split("\x01", 1)[0] for k in self.fallback)


def plan_sample(valid_df: DataFrame, fraction: float, seed: int) -> SamplePlan:
    """One small aggregate over the valid reviews: rows, Bernoulli hits and the smallest (u, doc_id) per month."""
    u = uniform(seed)
    per_month = valid_df.groupBy("month").agg(
        F.count(F.lit(1)).alias("rows"),
        F.count(F.when(u < F.lit(fraction), 1)).alias("bernoulli"),
        F.min(F.struct(u.alias("u"), F.col("doc_id").alias("doc_id"))).getField("doc_id").alias("first_doc"),
    )
    months = {r["month"]: r.asDict() for r in per_month.collect()}  # one row per month
    fallback = [f"{m}\x01{v['first_doc']}" for m, v in months.items() if v["bernoulli"] == 0 and v["rows"] > 0]
    return SamplePlan(months, sorted(fallback))


def is_sampled(plan: SamplePlan, fraction: float, seed: int) -> Column:
    """Rules 2-3 as a column."""
    expr = uniform(seed) < F.lit(fraction)
    if plan.fallback:
        expr = expr | F.concat_ws("\x01", F.col("month"), F.col("doc_id")).isin(plan.fallback)
    return expr


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


def mark_sample_outcomes(staged_df: DataFrame, plan: SamplePlan, fraction: float, seed: int,
                         dropped: list[str]) -> DataFrame:
    """``_outcome`` after the review rules (already set) : ``filtered:not_sampled`` (rules 2-3), then
    ``filtered:small_category`` (rule 4); null = in the sample."""
    is_valid = F.col(io.OUTCOME).isNull()
    is_dropped = F.col("product_category").isin(dropped) if dropped else F.lit(False)
    return staged_df.withColumn(io.OUTCOME, io.first_outcome(
        (~is_valid, F.col(io.OUTCOME)),
        (~is_sampled(plan, fraction, seed), io.filtered("not_sampled")),
        (is_dropped, io.filtered("small_category")),
    ))


def month_rows(plan: SamplePlan, fraction: float, sampled: dict[str, int], kept: dict[str, int]) -> list[tuple]:
    """The month table: (month, rows, target, sampled, kept), by month."""
    return [
        (m, int(v["rows"]), target_rows(int(v["rows"]), fraction), int(sampled.get(m, 0)), int(kept.get(m, 0)))
        for m, v in sorted(plan.months.items())
    ]
