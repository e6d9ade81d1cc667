"""load_warehouse: per-comment topic predictions and the users' 30-day subjects -> warehouse tables (Redshift or
PostgreSQL) by JDBC upsert (staging table, then delete matching keys + insert in one transaction; see
:mod:`vocspark.warehouse`).

Inputs (only what ``--tables`` selects):

- ``predictions/<model>/month=yyyy-MM/`` (``--predictions``, default ``topics``) for ``--months`` or the months
  touched by ``--last-days N`` before ``--as-of`` (default: every month), joined with ``documents/`` on
  ``(source, doc_id)`` for the comment's text when that dataset exists;
- ``user_subjects/as_of=yyyy-MM-dd/`` for ``--as-of`` (default: today, UTC, like ``user_mode``).

Manifest counts (they reconcile, over both tables): ``read`` = input rows; ``rejected``: ``missing_key``
(a key column is null), ``missing_time`` (a prediction without created_at), written to
``rejected/job=load_warehouse/source=<table>/`` with the row as JSON; ``filtered``: ``duplicate_key`` (a key
seen more than once in the input: the row of the latest model version, then the latest month, is kept);
``written`` = rows upserted. ``extra.warehouse`` holds per table the rows staged, replaced and inserted. A run
fails (after writing its manifest) if the rows staged in the warehouse differ from the rows counted as written.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from vocspark import io, schemas, warehouse
from vocspark.analytics import user_mode as um
from vocspark.config import Config
from vocspark.jobs import infer_topics

log = logging.getLogger(__name__)
JOB = "load_warehouse"
TABLE_NAMES = ("predictions", "user_subjects")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tables", default=",".join(TABLE_NAMES),
                        help="comma-separated tables to load: predictions,user_subjects (default: both)")
    parser.add_argument("--predictions", default="topics", help="predictions/<name>/ to load (default: topics)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--months", default=None, help="comma-separated prediction months yyyy-MM (default: all)")
    group.add_argument("--last-days", type=int, default=None, help="load the prediction months the last N days touch")
    parser.add_argument("--as-of", default=None, metavar="yyyy-MM-dd",
                        help="user_subjects day to load, and end day of --last-days (default: today, UTC)")


def selected_tables(value: str | None) -> list[str]:
    names = [t.strip() for t in (value or ",".join(TABLE_NAMES)).split(",") if t.strip()]
    unknown = [n for n in names if n not in TABLE_NAMES]
    if unknown or not names:
        raise ValueError(f"--tables: unknown table `{(unknown or [''])[0]}` (have: {', '.join(TABLE_NAMES)})")
    return names


def as_of_date(value: str | None, today: dt.date | None = None) -> dt.date:
    if not value:
        return today or dt.datetime.now(dt.timezone.utc).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--as-of: not a yyyy-MM-dd date: {value!r}") from None


# --------------------------------------------------------------------------- transformations
def keep_latest_per_key(df: DataFrame, keys: list[str], order: list) -> DataFrame:
    """``_outcome`` = filtered ``duplicate_key`` for every row of a key but the first by ``order`` (rows already
    rejected are not ranked, so they never hide a good row)."""
    ranked = Window.partitionBy(*[F.col(k) for k in keys], F.col(io.OUTCOME).isNull()).orderBy(*order)
    is_duplicate = F.col(io.OUTCOME).isNull() & (F.row_number().over(ranked) > 1)
    return df.withColumn(io.OUTCOME, F.when(is_duplicate, io.filtered("duplicate_key")).otherwise(F.col(io.OUTCOME)))


def stage_predictions(predictions_df: DataFrame, documents_df: DataFrame | None, run_id: str) -> DataFrame:
    """Prediction rows -> warehouse rows plus ``_outcome`` and ``raw`` (the input row as JSON)."""
    raw = F.to_json(F.struct(*[F.col(f.name) for f in infer_topics.PREDICTIONS.fields]), {"timeZone": "UTC"})
    missing_key = F.col("source").isNull() | F.col("doc_id").isNull()
    marked_df = predictions_df.select(
        "*",
        raw.alias("raw"),
        io.first_outcome(
            (missing_key, io.reject("missing_key")), (F.col("created_at").isNull(), io.reject("missing_time"))
        ).alias(io.OUTCOME),
    ).transform(keep_latest_per_key, ["source", "doc_id"], [F.col("model_version").desc_nulls_last(),
                                                            F.col("month").desc_nulls_last()])
    if documents_df is not None:
        texts_df = documents_df.select(F.col("source"), F.col("doc_id"), F.col("text"))
        marked_df = marked_df.join(texts_df, on=["source", "doc_id"], how="left")
    else:
        marked_df = marked_df.withColumn("text", F.lit(None).cast("string"))
    return marked_df.select(
        *[F.col(c) for c in ("source", "doc_id", "user_id", "created_at")],
        F.to_date(F.col("created_at")).alias("comment_date"),  # session time zone is UTC
        F.col("text"),
        *[F.col(c) for c in ("label", "subject", "category", "category_name")],
        F.array_join(F.transform(F.col("cluster_ids"), lambda c: c.cast("string")), ",").alias("cluster_ids"),
        *[F.col(c) for c in ("model", "model_version", "month")],
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("loaded_at"),
        F.col("raw"),
        F.col(io.OUTCOME),
    )


def stage_user_subjects(subjects_df: DataFrame, run_id: str) -> DataFrame:
    raw = F.to_json(F.struct(*[F.col(f.name) for f in um.USER_SUBJECTS.fields]), {"timeZone": "UTC"})
    missing_key = F.col("user_id").isNull() | F.col("as_of").isNull()
    return subjects_df.select(
        *[F.col(c) for c in warehouse.USER_SUBJECTS.column_names if c not in ("run_id", "loaded_at")],
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("loaded_at"),
        raw.alias("raw"),
        io.first_outcome((missing_key, io.reject("missing_key"))).alias(io.OUTCOME),
    ).transform(keep_latest_per_key, ["user_id", "as_of"], [F.col("n_comments_30d").desc_nulls_last()])


@dataclass
class Input:
    table: warehouse.Table
    uri: str
    staged_df: DataFrame


def read_inputs(spark: SparkSession, cfg: Config, args: argparse.Namespace, tables: list[str],
                run_id: str) -> tuple[dict[str, str], list[Input]]:
    model = getattr(args, "predictions", None) or "topics"
    uris = {"predictions": cfg.uri("predictions", model), "user_subjects": cfg.uri("user_subjects")}
    input_keys = {"predictions": f"predictions.{model}", "user_subjects": "user_subjects"}
    inputs = {input_keys[t]: uris[t] for t in tables}
    io.require_inputs(spark, inputs)  # fail before any write, naming the path
    out = []
    if "predictions" in tables:
        months = infer_topics.months_to_score(args)
        predictions_df = io.read_dataset(spark, uris["predictions"], infer_topics.PREDICTIONS)
        documents_uri = cfg.uri("documents")
        documents_df = None
        if io.path_exists(spark, documents_uri):
            documents_df = io.read_dataset(spark, documents_uri, schemas.DOCUMENTS)
        else:
            log.warning("load_warehouse: %s does not exist: predictions are loaded without text", documents_uri)
        if months is not None:
            predictions_df = predictions_df.where(F.col("month").isin(months))
            documents_df = documents_df.where(F.col("month").isin(months)) if documents_df is not None else None
        out.append(Input(warehouse.PREDICTIONS, uris["predictions"],
                         stage_predictions(predictions_df, documents_df, run_id)))
    if "user_subjects" in tables:
        day = as_of_date(getattr(args, "as_of", None))
        subjects_df = io.read_dataset(spark, uris["user_subjects"], um.USER_SUBJECTS).where(F.col("as_of") == F.lit(day))
        out.append(Input(warehouse.USER_SUBJECTS, uris["user_subjects"], stage_user_subjects(subjects_df, run_id)))
    return inputs, out


# --------------------------------------------------------------------------- the run
def run(spark: SparkSession, cfg: Config, args: argparse.Namespace) -> io.Manifest:
    tables = selected_tables(getattr(args, "tables", None))
    run_id = getattr(args, "run_id", None) or io.new_run_id()
    conn = warehouse.connection(cfg)  # fail fast on missing settings or secret, before reading anything
    inputs, staged = read_inputs(spark, cfg, args, tables, run_id)
    targets = {t: cfg["warehouse"]["tables"][t] for t in tables}
    manifest = io.Manifest(
        JOB, run_id, args={k: v for k, v in vars(args).items() if k != "JOB_NAME"}, inputs=inputs,
        outputs={f"warehouse.{t}": f"{conn.url}#{conn.qualified(name)}" for t, name in targets.items()},
    )
    manifest.extra["warehouse"] = {}
    mismatch = []
    for item in staged:
        t0 = time.monotonic()
        staged_df = item.staged_df.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            counts = io.outcome_counts(staged_df)
            manifest.add_counts(counts)
            written = sum(r["n"] for r in counts if r["outcome"] == "written")
            n_rejected = sum(r["n"] for r in counts if r["outcome"] == "rejected")
            if n_rejected:
                rejected_df = io.rejected_rows(
                    staged_df.withColumn("source", F.lit(item.table.name)).withColumn("source_file", F.lit(item.uri)),
                    JOB, run_id, io.run_month(),
                )
                io.write_rejected(rejected_df, cfg.base_uri)
            rows_df = staged_df.where(F.col(io.OUTCOME).isNull()).select(*item.table.column_names)
            result = {"staged": 0, "deleted": 0, "inserted": 0}
            if written:
                result = warehouse.upsert(
                    spark, rows_df, item.table, conn, targets[item.table.name], run_id,
                    cfg["warehouse"]["batch_size"], cfg["warehouse"]["write_partitions"],
                )
            else:
                log.warning("load_warehouse: no %s rows to load", item.table.name)
            result["seconds"] = round(time.monotonic() - t0, 3)
            manifest.extra["warehouse"][item.table.name] = result
            if result["staged"] != written:
                mismatch.append(f"{item.table.name}: staged {result['staged']} != written {written}")
            log.info("load_warehouse %s: %d rows upserted (%d replaced), %d rejected in %.1fs", item.table.name,
                     written, result["deleted"], n_rejected, result["seconds"])
        finally:
            staged_df.unpersist()
    if any(manifest.rejected.values()):
        manifest.outputs["rejected"] = f"{cfg.base_uri.rstrip('/')}/rejected"
    manifest.close(spark, cfg.base_uri)
    if mismatch:
        raise io.ReconciliationError(f"load_warehouse run {run_id}: " + "; ".join(mismatch))
    return manifest
