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
import time

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from vocspark import io, schemas
from vocspark.analytics import sample as sp
from vocspark.analytics import tables as tb
from vocspark.config import Config, ConfigError

log = logging.getLogger(__name__)
JOB = "sample"
PARTITION_BY = ["source", "month"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fraction", type=float, default=None, help="fraction of each month (default: config)")
    parser.add_argument("--min-category-share", type=float, default=None,
                        help="drop categories below this share of the sample (default: config)")


def sample_uri(cfg: Config) -> str:
    return f"{tb.analytics_uri(cfg)}/sample"


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace) -> io.Manifest:
    t0 = time.monotonic()
    scfg = cfg["analytics"]["sample"]
    fraction = scfg["fraction"] if getattr(args, "fraction", None) is None else args.fraction
    min_share = scfg["min_category_share"] if getattr(args, "min_category_share", None) is None else args.min_category_share
    for key, value in (("fraction", fraction), ("min_category_share", min_share)):
        if not 0 <= value <= 1:
            raise ConfigError(f"`analytics.sample.{key}` must be between 0 and 1, got {value}")
    seed = scfg["seed"]
    source = tb.reviews_source(cfg)
    input_uri, out_uri = cfg.uri("documents_clean"), sample_uri(cfg)
    io.require_inputs(spark, {"documents_clean": input_uri})
    run_id = getattr(args, "run_id", None) or io.new_run_id()
    manifest = io.Manifest(JOB, run_id, args=tb.job_args(args), inputs={"documents_clean": input_uri},
                           outputs={"sample": out_uri})

    staged_df = tb.with_review_outcome(tb.read_clean(spark, input_uri, source))
    valid_df = staged_df.where(F.col(io.OUTCOME).isNull())
    plan = sp.plan_sample(valid_df, fraction, seed)
    sampled_df = valid_df.where(sp.is_sampled(plan, seed)).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        categories = sp.category_shares(sampled_df, min_share)
        dropped = [c["product_category"] for c in categories if c["dropped"]]
        marked_df = sp.mark_sample_outcomes(staged_df, plan, seed, dropped)
        counts = io.outcome_counts(marked_df, ["month"])
        manifest.add_counts(counts)
        kept_df = sampled_df.where(~F.col("product_category").isin(dropped)) if dropped else sampled_df
        # the rows are read with the documents_clean contract: select it (conform's cast cannot relax the
        # element nullability Parquet reports for `tokens`)
        io.write_partitioned(kept_df.select(*schemas.DOCUMENTS_CLEAN.names), out_uri, PARTITION_BY)
    finally:
        sampled_df.unpersist()
    kept = {r["month"]: r["n"] for r in counts if r["outcome"] == "written"}
    sampled = dict(kept)
    for r in counts:
        if r["outcome"] == "filtered" and r["detail"] == "small_category":
            sampled[r["month"]] = sampled.get(r["month"], 0) + r["n"]
    months = sp.month_rows(plan, sampled, kept)
    removed = _remove_empty_months(spark, out_uri, source, [m[0] for m in months if m[4] == 0])
    tb.write_table(spark.createDataFrame(months, sp.MONTHS_SCHEMA), tb.analytics_uri(cfg), "sample_months")
    tb.write_table(spark.createDataFrame([tuple(c.values()) for c in categories], sp.CATEGORIES_SCHEMA),
                   tb.analytics_uri(cfg), "sample_categories")
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
    manifest.outputs.update(sample_months=tb.table_uris(tb.analytics_uri(cfg), "sample_months")[0],
                            sample_categories=tb.table_uris(tb.analytics_uri(cfg), "sample_categories")[0])
    if manifest.rejected:
        manifest.outputs["rejected"] = tb.write_rejected_reviews(staged_df, JOB, run_id, cfg.base_uri)
    manifest.extra["seconds"] = round(time.monotonic() - t0, 3)
    manifest.close(spark, cfg.base_uri)
    return manifest


def _remove_empty_months(spark: SparkSession, out_uri: str, source: str, months: list[str]) -> list[str]:
    removed = []
    jvm = spark.sparkContext._jvm
    for month in months:
        uri = f"{out_uri}/source={source}/month={month}"
        if io.path_exists(spark, uri):
            path = jvm.org.apache.hadoop.fs.Path(uri)
            path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)
            removed.append(uri)
    return removed
