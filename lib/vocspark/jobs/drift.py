"""drift: documents_clean (the reviews source) -> the tables of :mod:`vocspark.analytics.drift` under
``<base>/analytics/``: ``drift_top_terms_period``, ``drift_top_terms_star``, ``drift_overlap_period``,
``drift_overlap_star`` (Parquet in ``tables/``, CSV in ``csv/``).

Options: ``--period year|quarter|month`` and ``--top-k`` override ``analytics.drift.*``; ``--from-sample`` reads
the sample job's output instead of documents_clean (the original analysis ran on a 1% sample; the default is
the full data).

Manifest counts (they reconcile): ``read`` = rows of the reviews source; ``rejected`` by review rule (written to
``rejected/job=drift/...``); ``filtered``: ``no_tokens`` (no token left after preprocessing); ``written`` = the
reviews whose tokens were counted. ``extra.tables`` has the rows of each table.
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from vocspark import io, runtime
from vocspark.analytics import drift as dr
from vocspark.analytics import tables as tb
from vocspark.config import Config
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "drift"


@dataclass(frozen=True)
class Options(runtime.Options):
    """``--period`` and ``--top-k`` override ``analytics.drift.*`` (None: config); ``--from-sample``."""

    period: str | None = None
    top_k: int | None = None
    from_sample: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", choices=dr.PERIODS, default=None, help="time grain (default: config)")
    parser.add_argument("--top-k", type=int, default=None, help="terms per group (default: config)")
    parser.add_argument("--from-sample", action="store_true", help="read <analytics>/sample/ instead")


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    dcfg = cfg.typed.analytics.drift
    period = options.period or dcfg.period
    k = dcfg.top_k if options.top_k is None else options.top_k
    if k <= 0:
        raise ValueError(f"--top-k must be > 0, got {k}")
    source = tb.reviews_source(cfg)
    out_uri = tb.analytics_uri(cfg)
    input_name = "sample" if options.from_sample else "documents_clean"
    input_uri = f"{out_uri}/sample" if input_name == "sample" else cfg.uri("documents_clean")
    with JobRun(spark, cfg, JOB, options, inputs={input_name: input_uri}) as run:
        manifest = run.manifest
        columns = [*tb.REVIEW_COLUMNS, "tokens"]
        has_no_tokens = F.col("tokens").isNull() | (F.size("tokens") == 0)
        staged_df = tb.read_clean(spark, input_uri, source, columns).withColumn(
            io.OUTCOME, io.first_outcome((tb.review_outcome().isNotNull(), tb.review_outcome()),
                                         (has_no_tokens, io.filtered("no_tokens"))),
        )
        with run.step("read_and_count") as step:
            manifest.add_counts(io.outcome_counts(staged_df))
            step.rows = manifest.read
        reviews_df = staged_df.where(F.col(io.OUTCOME).isNull())
        # the top-k tables (small) are kept: each feeds its own table and an overlap table
        base_df = dr.base_term_counts(reviews_df, period).persist(StorageLevel.MEMORY_AND_DISK)
        top_period, top_star = (df.persist(StorageLevel.MEMORY_AND_DISK)
                                for df in dr.top_tables(base_df, k, dcfg.min_term_count))
        rows = {}
        try:
            tables = {"drift_top_terms_period": top_period, "drift_top_terms_star": top_star,
                      **dr.overlap_tables(top_period, top_star)}
            for name, table_df in tables.items():
                with run.step(name) as step:
                    uris = tb.write_table(table_df, out_uri, name)
                    step.rows = rows[name] = uris["rows"]
                    manifest.outputs[name] = uris["parquet"]
        finally:
            for df in (top_period, top_star, base_df):
                df.unpersist()
        manifest.extra.update(tables=rows, period=period, top_k=k, min_term_count=dcfg.min_term_count,
                              reviews_source=source)
        if manifest.rejected:
            with run.step("write_rejected") as step:
                manifest.outputs["rejected"] = tb.write_rejected_reviews(staged_df, JOB, run.run_id, cfg.base_uri)
                step.rows = sum(manifest.rejected.values())
    return manifest
