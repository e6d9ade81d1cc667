"""ingest: raw sources (as delivered) -> ``documents`` (one schema), ``rejected`` and a run manifest.

Per source, the parser of its ``kind`` (:mod:`vocspark.sources`) types the record and marks malformed records
(rejected, with a reason) and records its own rules drop (filtered: marketplace, language, keyword). Then, for
every source:

1. ``length``: the text, trimmed, must be longer than ``ingest.min_chars`` and shorter than ``ingest.max_chars``
   characters (defaults: more than 5 and fewer than 5000);
2. ``duplicate``: one record per (source, doc_id) is kept; the others are filtered. Exact duplicates share the
   id (hashed ids cover the whole content); when two records share an id but differ, the one with the latest
   ``created_at`` wins, then the smallest source file and text, so reruns keep the same one;
3. ``outside_months``: with ``--months`` or ``--last-days N`` (the whole months the last N days before
   ``--as-of`` touch), kept records of other months are filtered. Every raw file is still read, and each
   selected month is written whole: dynamic overwrite replaces whole month partitions.

Good records are written to ``documents/source=<s>/month=yyyy-MM/`` with dynamic partition overwrite (a rerun
replaces exactly the months of the sources it read), malformed ones to ``rejected/job=ingest/source=<s>/
month=<run month>/``. The manifest's counts reconcile: read = written + rejected + filtered, per source too.
"""
from __future__ import annotations

import argparse
import functools
import logging
from dataclasses import dataclass
from typing import Callable

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from vocspark import args as args_mod
from vocspark import io, runtime, schemas
from vocspark.config import Config, ConfigError, Settings
from vocspark.runtime import JobRun
from vocspark.sources import amazon, instagram, twitter

log = logging.getLogger(__name__)
JOB = "ingest"

PARSERS: dict[str, Callable[..., DataFrame]] = {
    "amazon_reviews_tsv": amazon.parse,
    "twitter_firehose_json": twitter.parse,
    "instagram_csv": instagram.parse,
}
STAGED_COLUMNS = [f.name for f in schemas.DOCUMENTS.fields if f.name != "month"] + ["raw", io.OUTCOME]


@dataclass(frozen=True)
class Options(runtime.Options):
    """``--sources a,b`` (default: every enabled source) and the month selection (:mod:`vocspark.args`)."""

    sources: str | None = None
    months: str | None = None
    last_days: int | None = None
    as_of: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources", default=None,
        help="comma-separated source names from config (default: every enabled source)",
    )
    args_mod.add_month_selection(parser, "ingest")


def selected_sources(settings: Settings, sources_arg: str | None) -> list[str]:
    if sources_arg:
        names = [s.strip() for s in sources_arg.split(",") if s.strip()]
        unknown = [n for n in names if n not in settings.sources]
        if unknown:
            raise ConfigError(f"--sources: unknown source `{unknown[0]}` (config has: {', '.join(settings.sources)})")
        return names
    return [name for name, src in settings.sources.items() if src.enabled]


def keep_outcome(new_outcome) -> F.Column:
    """Set ``_outcome`` only on rows that are still kept (a row keeps the first outcome it got)."""
    return F.coalesce(F.col(io.OUTCOME), new_outcome)


def filter_length(df: DataFrame, min_chars: int, max_chars: int) -> DataFrame:
    """Mark kept rows whose trimmed text is not longer than min_chars and shorter than max_chars."""
    n_chars = F.length(F.trim(F.col("text")))
    is_out_of_range = (n_chars <= min_chars) | (n_chars >= max_chars)
    return df.withColumn(io.OUTCOME, keep_outcome(F.when(is_out_of_range, io.filtered("length"))))


def mark_duplicates(df: DataFrame) -> DataFrame:
    """Mark every kept row but one per (source, doc_id) as ``filtered:duplicate`` (see module doc for the winner)."""
    is_kept = F.col(io.OUTCOME).isNull()
    window = (
        Window.partitionBy(F.col("source"), F.col("doc_id"), is_kept)
        .orderBy(F.col("created_at").desc(), F.col("source_file"), F.col("text"))
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    is_extra_copy = is_kept & (F.row_number().over(window) > 1)
    return df.withColumn(io.OUTCOME, F.when(is_extra_copy, io.filtered("duplicate")).otherwise(F.col(io.OUTCOME)))


def with_month(df: DataFrame, ts_col: str = "created_at") -> DataFrame:
    """``month`` = yyyy-MM of the timestamp, in the session time zone (UTC), with built-in functions only."""
    return df.withColumn("month", F.date_format(F.col(ts_col), "yyyy-MM"))


def keep_raw_of_rejected(df: DataFrame) -> DataFrame:
    """Only rejected rows need their raw text; dropping it elsewhere keeps the cached data small."""
    is_rejected = F.coalesce(F.col(io.OUTCOME).startswith("rejected:"), F.lit(False))
    return df.withColumn("raw", F.when(is_rejected, F.col("raw")))


def parse_sources(spark: SparkSession, settings: Settings, names: list[str]) -> DataFrame:
    frames = []
    for name in names:
        src = settings.sources[name]
        parsed_df = PARSERS[src.kind](spark, src.path, name, src)
        frames.append(schemas.conform(parsed_df, _staged_schema()))
    return functools.reduce(DataFrame.unionByName, frames)


@functools.lru_cache(maxsize=1)
def _staged_schema():
    from pyspark.sql import types as T

    fields = [f for f in schemas.DOCUMENTS.fields if f.name != "month"]
    # Parsers cannot promise non-null values for malformed rows: everything is nullable while staged.
    nullable = [T.StructField(f.name, f.dataType, True) for f in fields]
    return T.StructType(nullable + [T.StructField("raw", T.StringType()), T.StructField(io.OUTCOME, T.StringType())])


def select_months(df: DataFrame, months: list[str] | None) -> DataFrame:
    """Mark kept rows whose month is not one of ``months`` as ``filtered:outside_months`` (None: keep all).

    Every raw file is still read: a selected month is written whole (dynamic overwrite replaces whole month
    partitions, so writing only some days of a month would drop the others)."""
    if not months:
        return df
    is_outside = ~F.col("month").isin(months)
    return df.withColumn(io.OUTCOME, keep_outcome(F.when(is_outside, io.filtered("outside_months"))))


def stage(spark: SparkSession, cfg: Config, names: list[str], months: list[str] | None = None) -> DataFrame:
    """Every raw record of the sources with its outcome: the whole transform, before any write."""
    settings = cfg.typed
    return (
        parse_sources(spark, settings, names)
        .transform(filter_length, settings.ingest.min_chars, settings.ingest.max_chars)
        .transform(mark_duplicates)
        .transform(keep_raw_of_rejected)
        .transform(with_month)
        .transform(select_months, months)
    )


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    settings = cfg.typed
    names = selected_sources(settings, options.sources)
    months = args_mod.selected_months(options)
    inputs = {f"sources.{n}.path": settings.sources[n].path for n in names}
    with JobRun(spark, cfg, JOB, options, inputs=inputs) as run:  # checks the inputs before any write
        manifest = run.manifest
        if not names:
            log.warning("no enabled source: nothing to ingest")
            return manifest
        manifest.extra["months"] = months or "all"
        staged_df = stage(spark, cfg, names, months).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            with run.step("stage_and_count") as step:
                by_source = io.outcome_counts(staged_df, ["source"])
                manifest.add_counts(by_source)
                manifest.extra["by_source"] = _per_source(by_source)
                step.rows = manifest.read

            documents_uri = cfg.uri("documents")
            with run.step("write_documents") as step:
                documents_df = schemas.conform(staged_df.where(F.col(io.OUTCOME).isNull()), schemas.DOCUMENTS)
                io.write_partitioned(documents_df, documents_uri, schemas.PARTITIONS["documents"],
                                     settings.ingest.output_partitions_per_month)
                step.rows = manifest.written

            with run.step("write_rejected") as step:
                rejected_df = io.rejected_rows(staged_df, JOB, run.run_id, io.run_month())
                rejected_uri = io.write_rejected(rejected_df, cfg.base_uri)
                step.rows = sum(manifest.rejected.values())
            manifest.outputs = {"documents": documents_uri, "rejected": rejected_uri}
        finally:
            staged_df.unpersist()
        manifest.extra["seconds"] = {s.name: s.seconds for s in run.steps}
    return manifest


def _per_source(rows: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for row in rows:
        entry = out.setdefault(row["source"], {"read": 0, "written": 0, "rejected": {}, "filtered": {}})
        entry["read"] += row["n"]
        if row["outcome"] == "written":
            entry["written"] += row["n"]
        else:
            bucket = entry[row["outcome"]]
            bucket[row["detail"]] = bucket.get(row["detail"], 0) + row["n"]
    return dict(sorted(out.items()))
