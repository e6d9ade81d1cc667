"""preprocess: ``documents`` -> ``documents_clean`` + ``sentences`` (+ rejected rows and a run manifest).

1. Read ``documents`` (optionally only some sources and months: ``--sources a,b``, ``--months 2021-01,2021-02``,
   both pruning partitions). A document whose text is null or blank is rejected (``missing_text``) and written
   to ``rejected/``; every other document is kept, also when nothing is left of it after cleaning (then
   ``tokens`` is empty and ``n_tokens`` 0: the classifiers give it a null prediction with a reason).
2. Text features with the configured engine (``preprocess.engine``: arrow, sql or sparknlp; see
   :mod:`vocspark.text.engines`), options ``remove_stopwords``, ``stemming``, ``min_token_chars``.
3. Write ``documents_clean`` (documents + text_clean, tokens, n_tokens, n_sentences) and ``sentences`` (one
   row per sentence, ``sentence_idx`` 0-based) partitioned by source and month with dynamic partition
   overwrite: a rerun replaces exactly the partitions it read and leaves the same rows. ``month`` is the one
   ingest derived with ``date_format(created_at, 'yyyy-MM')``; preprocess keeps it.

Counting: one small aggregate over the input (rows per source, month and outcome) gives read, written and
rejected, before anything is written; the sentence count comes from the footers of the written ``sentences``
files of the partitions this run wrote (no data is read back).

Strategy (``STRATEGY``, per engine): with ``arrow`` each output is its own pass over the input (the sentence
rows come flat from the Arrow worker, which gets only the columns they need); with ``sql`` and ``sparknlp``,
whose text pass is several times dearer, the features are computed once, persisted (memory, spilling to
disk) and both outputs are written from them. Neither output is shuffled before its write: the input is a scan
of ``documents``, partitioned by the same (source, month), so every task holds few partitions and writes one
file per partition it holds (the files follow the input splits; ``output_partitions_per_month`` > 1 asks for
a salted shuffle instead). Measured on 250k reviews (3 months), arrow, recompute without shuffle against persist
with the shuffle: 82-85 s against 105-111 s wall, 219-229 against 283-315 CPU seconds per million reviews.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import args as args_mod
from vocspark import io, runtime, schemas
from vocspark.config import Config
from vocspark.runtime import JobRun
from vocspark.text import columns as C
from vocspark.text import engines
from vocspark.text.options import TextOptions

log = logging.getLogger(__name__)
JOB = "preprocess"
# "recompute": two passes over the input (one per output); "persist": features cached once, both outputs from
# the cache. Chosen per engine from bench/preprocess.py --profile-steps.
STRATEGY = {"arrow": "recompute", "sql": "persist", "sparknlp": "persist"}


# ------------------------------------------------------------------------------------------ arguments
@dataclass(frozen=True)
class Options(runtime.Options):
    """``--sources a,b`` (default: all) and the month selection (:mod:`vocspark.args`)."""

    sources: str | None = None
    months: str | None = None
    last_days: int | None = None
    as_of: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", default=None, help="comma-separated sources to preprocess (default: all)")
    args_mod.add_month_selection(parser, "preprocess")


def parse_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        items = [v.strip() for v in str(value).split(",")]
    items = [v for v in items if v]
    return items or None


# ------------------------------------------------------------------------------------------ transformations
def read_documents(
    spark: SparkSession, uri: str, sources: list[str] | None = None, months: list[str] | None = None
) -> DataFrame:
    """The ``documents`` dataset, restricted to ``sources`` and ``months`` (partition pruning)."""
    documents_df = io.read_dataset(spark, uri, schemas.DOCUMENTS)
    if sources:
        documents_df = documents_df.where(F.col("source").isin(sources))
    if months:
        documents_df = documents_df.where(F.col("month").isin(months))
    return documents_df


def mark_missing_text(df: DataFrame) -> DataFrame:
    """``_outcome`` = ``rejected:missing_text`` when the text is null or only whitespace, else null (kept)."""
    is_missing_text = F.col("text").isNull() | (C.trim_whitespace(F.col("text")) == F.lit(""))
    return df.withColumn(io.OUTCOME, io.first_outcome((is_missing_text, io.reject("missing_text"))))


def kept_documents(marked_df: DataFrame) -> DataFrame:
    return marked_df.where(F.col(io.OUTCOME).isNull()).drop(io.OUTCOME)


def with_raw_record(marked_df: DataFrame) -> DataFrame:
    """``raw`` = the document as JSON (what rejected rows keep)."""
    record = F.to_json(F.struct(*[F.col(c) for c in schemas.DOCUMENTS.names]))
    return marked_df.withColumn("raw", record)


def to_documents_clean(features_df: DataFrame) -> DataFrame:
    return schemas.conform(features_df, schemas.DOCUMENTS_CLEAN)


def to_sentences(sentences_df: DataFrame) -> DataFrame:
    return schemas.conform(sentences_df, schemas.SENTENCES)


def text_outputs(
    kept_df: DataFrame, options: TextOptions, engine: str, strategy: str | None = None
) -> tuple[DataFrame, DataFrame, DataFrame | None]:
    """(documents_clean, sentences, cached features or None) for the kept documents.

    ``strategy`` ``recompute``: each output is its own pass over ``kept_df`` (with ``arrow`` the sentence
    rows come flat from the Python worker); ``persist``: the features are computed once, persisted, and both
    outputs come from them (the caller unpersists the third element).
    """
    strategy = strategy or STRATEGY[engine]
    if strategy == "recompute":
        documents_clean_df = to_documents_clean(engines.with_document_features(kept_df, options, engine))
        sentences_df = to_sentences(engines.sentence_rows(kept_df, options, engine))
        return documents_clean_df, sentences_df, None
    if strategy != "persist":
        raise ValueError(f"unknown strategy {strategy!r}")
    features_df = engines.with_text_features(kept_df, options, engine).persist(StorageLevel.MEMORY_AND_DISK)
    return (
        to_documents_clean(features_df),
        to_sentences(engines.explode_sentences(features_df)),
        features_df,
    )


# ------------------------------------------------------------------------------------------ job
def count_rows(spark: SparkSession, uri: str, partitions: list[tuple[str, str]]) -> int:
    """Rows of the (source, month) partitions of a written dataset, from the Parquet footers only."""
    if not partitions or not io.path_exists(spark, uri):
        return 0
    written_df = spark.read.option("basePath", uri).parquet(uri)
    partition = F.concat_ws("/", F.col("source"), F.col("month"))  # a predicate on partition columns only
    return written_df.where(partition.isin([f"{s}/{m}" for s, m in partitions])).count()


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    sources = parse_list(options.sources)
    months = args_mod.selected_months(options)
    section = cfg.typed.preprocess
    engine = section.engine
    text_options = TextOptions(
        remove_stopwords=section.remove_stopwords, stemming=section.stemming, min_token_chars=section.min_token_chars
    )
    files_per_partition = section.output_partitions_per_month
    documents_uri = cfg.uri("documents")
    outputs = {
        "documents_clean": cfg.uri("documents_clean"),
        "sentences": cfg.uri("sentences"),
        "rejected": cfg.uri("rejected"),
    }
    with JobRun(spark, cfg, JOB, options, inputs={"documents": documents_uri}) as run:  # inputs checked first
        manifest = run.manifest
        manifest.outputs.update(outputs)
        manifest.extra.update({"engine": engine, "options": dataclasses.asdict(text_options)})

        with run.step("read_and_count") as step:
            marked_df = mark_missing_text(read_documents(spark, documents_uri, sources, months))
            counts = io.outcome_counts(marked_df, ["source", "month"])
            manifest.add_counts(counts)
            partitions = sorted({(r["source"], r["month"]) for r in counts if r["outcome"] == "written"})
            step.rows = manifest.read
        log.info("preprocess: %d documents read (%d kept, %d rejected)",
                 manifest.read, manifest.written, sum(manifest.rejected.values()))

        documents_clean_df, sentences_df, cached_df = text_outputs(kept_documents(marked_df), text_options, engine)
        try:
            shuffle = files_per_partition > 1  # else the files follow the input splits (see the module doc)
            with run.step("write_documents_clean") as step:
                io.write_partitioned(
                    documents_clean_df, outputs["documents_clean"], schemas.PARTITIONS["documents_clean"],
                    files_per_partition, shuffle=shuffle,
                )
                step.rows = manifest.written
            with run.step("write_sentences"):
                io.write_partitioned(
                    sentences_df, outputs["sentences"], schemas.PARTITIONS["sentences"], files_per_partition,
                    shuffle=shuffle,
                )
        finally:
            if cached_df is not None:
                cached_df.unpersist()
        with run.step("count_sentences") as step:
            n_sentences = count_rows(spark, outputs["sentences"], partitions)
            step.rows = n_sentences

        with run.step("write_rejected") as step:
            if manifest.rejected:
                rejected_df = io.rejected_rows(with_raw_record(marked_df), JOB, run.run_id, io.run_month())
                io.write_rejected(rejected_df, cfg.base_uri)
            step.rows = sum(manifest.rejected.values())

        manifest.extra.update(
            {
                "sentences": n_sentences,
                "partitions": [f"source={s}/month={m}" for s, m in partitions],
                "seconds": {s.name: s.seconds for s in run.steps},
            }
        )
    return manifest
