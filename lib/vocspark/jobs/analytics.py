"""analytics: documents_clean -> the descriptive tables of :mod:`vocspark.analytics.tables`, each written as
Parquet (``<base>/analytics/tables/<name>/``) and CSV (``<base>/analytics/csv/<name>.csv``), plus a manifest.

Input: ``documents_clean/`` (every source; ``--from-sample`` reads the ``sample`` job's output instead, which
holds reviews only). Reviews are the rows of ``analytics.source``; the other sources only feed
``volume_by_source``.

Manifest counts (they reconcile): ``read`` = rows of the input; ``rejected`` = reviews breaking a review rule
(``missing_product``, ``missing_category``, ``bad_star_rating``), written to
``rejected/job=analytics/source=<source>/run_id=<run>/``; ``written`` = the rest (every row feeds the
tables it belongs to). ``extra.tables`` has the rows of every table.
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from vocspark import io, runtime
from vocspark.analytics import tables as tb
from vocspark.config import Config
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "analytics"
STAGED_COLUMNS = ("source", "month", "lang", "user_id", "created_at", "product_id", "product_title",
                  "product_category", "star_rating", "helpful_votes", "total_votes", "n_tokens")


@dataclass(frozen=True)
class Options(runtime.Options):
    """``--from-sample``: read the sample job's output instead of documents_clean."""

    from_sample: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from-sample", action="store_true",
                        help="compute the tables from <analytics>/sample/ (the sample job's output) instead of "
                             "documents_clean/")


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    acfg = cfg.typed.analytics
    source = tb.reviews_source(cfg)
    out_uri = tb.analytics_uri(cfg)
    input_name = "sample" if options.from_sample else "documents_clean"
    input_uri = f"{out_uri}/sample" if input_name == "sample" else cfg.uri("documents_clean")
    with JobRun(spark, cfg, JOB, options, inputs={input_name: input_uri}) as run:
        manifest = run.manifest
        all_df = tb.read_clean(spark, input_uri, columns=tb.REVIEW_COLUMNS)
        is_review = F.col("source") == source
        staged_df = (
            all_df.transform(tb.with_length)
            .withColumn(io.OUTCOME, F.when(is_review, tb.review_outcome()))
            .select(*STAGED_COLUMNS, "n_chars", "year", io.OUTCOME)
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        try:
            with run.step("read_and_count") as step:
                manifest.add_counts(io.outcome_counts(staged_df))
                step.rows = manifest.read
            log.info("analytics: %d rejected reviews", sum(manifest.rejected.values()))
            reviews_df = staged_df.where(is_review & F.col(io.OUTCOME).isNull())
            tables = tb.review_tables(reviews_df, acfg.top_n, acfg.percentile_accuracy)
            tables["volume_by_source"] = tb.volume_by_source(staged_df)
            rows = {}
            for name, table_df in tables.items():
                with run.step(name) as step:
                    uris = tb.write_table(table_df, out_uri, name)
                    step.rows = rows[name] = uris["rows"]
                    manifest.outputs[name] = uris["parquet"]
        finally:
            staged_df.unpersist()
        manifest.extra.update(tables=rows, reviews_source=source, csv=f"{out_uri}/csv/")
        if manifest.rejected:
            with run.step("write_rejected") as step:
                full_df = tb.with_review_outcome(tb.read_clean(spark, input_uri, source, tb.REVIEW_COLUMNS))
                manifest.outputs["rejected"] = tb.write_rejected_reviews(full_df, JOB, run.run_id, cfg.base_uri)
                step.rows = sum(manifest.rejected.values())
    return manifest
