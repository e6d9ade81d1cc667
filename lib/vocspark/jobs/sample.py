"""sample: documents_clean (the reviews source) -> ``<base>/analytics/sample/source=<s>/month=yyyy-MM/`` (the
documents_clean contract), and two small tables: ``sample_months`` (month, rows, target, sampled, kept) and
``sample_categories`` (category, sampled, share, dropped). The rules are in :mod:`vocspark.analytics.sample`.

Options: ``--fraction`` and ``--min-category-share`` override ``analytics.sample.*`` for one run.

Manifest counts (they reconcile): ``read`` = rows of the reviews source; ``rejected`` by review rule (written
to ``rejected/job=sample/...``); ``filtered``: ``not_sampled`` and ``small_category``; ``written`` = rows in
the sample. ``extra`` has the per-month table, the dropped categories and the months short of their target.
A rerun rewrites every month; a month left empty by the category drop loses any partition an earlier run wrote.
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from vocspark import io, runtime, schemas
from vocspark.analytics import sample as sp
from vocspark.analytics import tables as tb
from vocspark.config import Config, ConfigError
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "sample"
PARTITION_BY = ["source", "month"]


@dataclass(frozen=True)
class Options(runtime.Options):
    """``--fraction`` and ``--min-category-share`` override ``analytics.sample.*`` for one run (None: config)."""

    fraction: float | None = None
    min_category_share: float | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fraction", type=float, default=None, help="fraction of each month (default: config)")
    parser.add_argument("--min-category-share", type=float, default=None,
                        help="drop categories below this share of the sample (default: config)")


def sample_uri(cfg: Config) -> str:
    return f"{tb.analytics_uri(cfg)}/sample"


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    scfg = cfg.typed.analytics.sample
    fraction = scfg.fraction if options.fraction is None else options.fraction
    min_share = scfg.min_category_share if options.min_category_share is None else options.min_category_share
    for key, value in (("fraction", fraction), ("min_category_share", min_share)):
        if not 0 <= value <= 1:
            raise ConfigError(f"`analytics.sample.{key}` must be between 0 and 1, got {value}")
    seed = scfg.seed
    source = tb.reviews_source(cfg)
    input_uri, out_uri, tables_uri = cfg.uri("documents_clean"), sample_uri(cfg), tb.analytics_uri(cfg)
    with JobRun(spark, cfg, JOB, options, inputs={"documents_clean": input_uri}) as run:
        manifest = run.manifest
        manifest.outputs["sample"] = out_uri
        staged_df = tb.with_review_outcome(tb.read_clean(spark, input_uri, source))
        valid_df = staged_df.where(F.col(io.OUTCOME).isNull())
        with run.step("plan") as step:
            plan = sp.plan_sample(valid_df, fraction, seed)
            step.rows = sum(v["rows"] for v in plan.months.values())  # valid reviews
        sampled_df = valid_df.where(sp.is_sampled(plan, seed)).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            with run.step("category_shares") as step:
                categories = sp.category_shares(sampled_df, min_share)
                dropped = [c["product_category"] for c in categories if c["dropped"]]
                step.rows = len(categories)
            with run.step("count") as step:
                marked_df = sp.mark_sample_outcomes(staged_df, plan, seed, dropped)
                counts = io.outcome_counts(marked_df, ["month"])
                manifest.add_counts(counts)
                step.rows = manifest.read
            with run.step("write_sample") as step:
                kept_df = sampled_df.where(~F.col("product_category").isin(dropped)) if dropped else sampled_df
                # the rows are read with the documents_clean contract: select it (conform's cast cannot relax
                # the element nullability Parquet reports for `tokens`)
                io.write_partitioned(kept_df.select(*schemas.DOCUMENTS_CLEAN.names), out_uri, PARTITION_BY)
                step.rows = manifest.written
        finally:
            sampled_df.unpersist()
        kept = {r["month"]: r["n"] for r in counts if r["outcome"] == "written"}
        sampled = dict(kept)
        for r in counts:
            if r["outcome"] == "filtered" and r["detail"] == "small_category":
                sampled[r["month"]] = sampled.get(r["month"], 0) + r["n"]
        months = sp.month_rows(plan, sampled, kept)
        removed = _remove_empty_months(spark, out_uri, source, [m[0] for m in months if m[4] == 0])
        with run.step("write_tables"):
            tb.write_table(spark.createDataFrame(months, sp.MONTHS_SCHEMA), tables_uri, "sample_months")
            tb.write_table(spark.createDataFrame([tuple(c.values()) for c in categories], sp.CATEGORIES_SCHEMA),
                           tables_uri, "sample_categories")
        for month, rows, target, n_sampled, n_kept in months:
            log.info("sample: %s rows=%d target=%d sampled=%d kept=%d", month, rows, target, n_sampled, n_kept)
        if dropped:
            log.info("sample: dropped categories below %.2f%% of the sample: %s", 100 * min_share,
                     ", ".join(f"{c['product_category']} ({100 * c['share']:.2f}%)" for c in categories if c["dropped"]))
        manifest.extra.update(
            fraction=fraction, min_category_share=min_share, seed=seed, reviews_source=source,
            months=[dict(zip(sp.MONTHS_SCHEMA.names, m)) for m in months],
            dropped_categories=[c for c in categories if c["dropped"]],
            short_months=[m[0] for m in months if m[3] < m[2]],  # fewer candidates than the target (rare)
            empty_month_partitions_removed=removed,
        )
        manifest.outputs.update(sample_months=tb.table_uris(tables_uri, "sample_months")[0],
                                sample_categories=tb.table_uris(tables_uri, "sample_categories")[0])
        if manifest.rejected:
            with run.step("write_rejected") as step:
                manifest.outputs["rejected"] = tb.write_rejected_reviews(staged_df, JOB, run.run_id, cfg.base_uri)
                step.rows = sum(manifest.rejected.values())
    return manifest


def _remove_empty_months(spark: SparkSession, out_uri: str, source: str, months: list[str]) -> list[str]:
    """Delete the partitions of ``months`` (left empty by this run) that an earlier run wrote."""
    uris = [f"{out_uri}/source={source}/month={month}" for month in months]
    return [uri for uri in uris if io.delete(spark, uri)]
