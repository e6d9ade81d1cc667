"""load_warehouse: per-comment topic predictions and the users' 30-day subjects -> warehouse tables (Redshift or
PostgreSQL), mirroring the lake: each load replaces the same slice the lake replaced (staging table, then in one
transaction per table: delete the slice + insert; see :mod:`vocspark.warehouse`).

Inputs (only what ``--tables`` selects) and the slice each table replaces:

- ``predictions/<model>/month=yyyy-MM/`` (``--predictions``, default ``topics``) for ``--months`` or the months
  touched by ``--last-days N`` before ``--as-of`` (default: every month present in the lake), joined with
  ``documents/`` on ``(source, doc_id)`` for the comment's text when that dataset exists. Every selected month is
  replaced whole, also a month the lake holds no (loadable) row of: the warehouse month is then emptied, like the
  lake's;
- ``user_subjects/as_of=yyyy-MM-dd/`` for ``--as-of`` (default: today, UTC, like ``user_mode``): that day is
  replaced whole (a user who dropped out of the day leaves the warehouse too).

So after any sequence of runs each loaded month / day of the warehouse equals the lake's.

Before each table is loaded, its staging tables left by killed runs (``<target>_stg_<run id>``) older than
``warehouse.staging_max_age_hours`` (default 24) are dropped; ``--sweep-only`` does only that (no input is read).

Manifest counts (they reconcile, over both tables): ``read`` = input rows; ``rejected``: ``missing_key``
(a key column is null), ``missing_time`` (a prediction without created_at), written to
``rejected/job=load_warehouse/source=<table>/`` with the row as JSON; ``filtered``: ``duplicate_key`` (a key
seen more than once in the input slice: the row of the latest model version, then the latest month, is kept);
``written`` = rows loaded. ``extra.warehouse`` holds per table the slice replaced (``{"month": [...]}`` or
``{"as_of": [...]}``), the rows staged, deleted and inserted, and the staging tables swept. A run fails (after
writing its manifest) if the rows staged in the warehouse differ from the rows counted as written.

The rows are conformed strictly to the warehouse contracts (``schemas.WAREHOUSE_*``, from which the DDL is
derived): a value that would be lost by a cast fails the load, naming the column and the value.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from vocspark import args as args_mod
from vocspark import io, runtime, schemas, warehouse
from vocspark.config import Config
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "load_warehouse"
TABLE_NAMES = ("predictions", "user_subjects")


@dataclass(frozen=True)
class Options(runtime.Options):
    """``--tables``, ``--predictions``, the prediction months (``--months`` or ``--last-days`` before ``--as-of``,
    see :func:`vocspark.args.selected_months`), ``--as-of`` (the user_subjects day) and ``--sweep-only``."""

    tables: str | None = None
    predictions: str | None = "topics"
    months: str | None = None
    last_days: int | None = None
    as_of: str | None = None
    sweep_only: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tables", default=",".join(TABLE_NAMES),
                        help="comma-separated tables to load: predictions,user_subjects (default: both)")
    parser.add_argument("--predictions", default="topics", help="predictions/<name>/ to load (default: topics)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--months", default=None, help="comma-separated prediction months yyyy-MM (default: all)")
    group.add_argument("--last-days", type=int, default=None, help="load the prediction months the last N days touch")
    parser.add_argument("--as-of", default=None, metavar="yyyy-MM-dd",
                        help="user_subjects day to load, and end day of --last-days (default: today, UTC)")
    parser.add_argument("--sweep-only", action="store_true",
                        help="only drop the selected tables' staging tables older than "
                             "warehouse.staging_max_age_hours (left by killed loads); read nothing, load nothing")


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


def _raw(schema) -> F.Column:
    """The input row (the columns of its contract) as JSON, instants in UTC."""
    return F.to_json(F.struct(*[F.col(f.name) for f in schema.fields]), {"timeZone": "UTC"})


def stage_predictions(predictions_df: DataFrame, documents_df: DataFrame | None, run_id: str) -> DataFrame:
    """Prediction rows -> rows of ``schemas.WAREHOUSE_PREDICTIONS`` plus ``_outcome`` and ``raw`` (the input row
    as JSON). ``cluster_ids`` stays an array: the warehouse table stores it as text (:class:`warehouse.Table`)."""
    missing_key = F.col("source").isNull() | F.col("doc_id").isNull()
    marked_df = predictions_df.select(
        "*",
        _raw(schemas.PREDICTIONS_TOPICS).alias("raw"),
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
    loaded = {
        "comment_date": F.to_date(F.col("created_at")),  # session time zone is UTC
        "run_id": F.lit(run_id),
        "loaded_at": F.current_timestamp(),
    }
    return marked_df.select(
        *[(loaded[c] if c in loaded else F.col(c)).alias(c) for c in schemas.WAREHOUSE_PREDICTIONS.fieldNames()],
        F.col("raw"),
        F.col(io.OUTCOME),
    )


def stage_user_subjects(subjects_df: DataFrame, run_id: str) -> DataFrame:
    """user_subjects rows -> rows of ``schemas.WAREHOUSE_USER_SUBJECTS`` plus ``_outcome`` and ``raw``."""
    missing_key = F.col("user_id").isNull() | F.col("as_of").isNull()
    loaded = {"run_id": F.lit(run_id), "loaded_at": F.current_timestamp()}
    return subjects_df.select(
        *[(loaded[c] if c in loaded else F.col(c)).alias(c) for c in schemas.WAREHOUSE_USER_SUBJECTS.fieldNames()],
        _raw(schemas.USER_SUBJECTS).alias("raw"),
        io.first_outcome((missing_key, io.reject("missing_key"))).alias(io.OUTCOME),
    ).transform(keep_latest_per_key, ["user_id", "as_of"], [F.col("n_comments_30d").desc_nulls_last()])


@dataclass
class Input:
    """The staged rows of one table and the slice (values of ``table.slice_column``) they replace."""

    table: warehouse.Table
    uri: str
    staged_df: DataFrame
    slice_values: list


def months_present(predictions_df: DataFrame) -> list[str]:
    """The months the lake holds (the partition values; a small aggregate)."""
    rows = predictions_df.select(F.col("month")).where(F.col("month").isNotNull()).distinct().collect()
    return sorted(r["month"] for r in rows)


def staging_max_age_hours(cfg: Config) -> float:
    """``warehouse.staging_max_age_hours`` (default 24, from the config spec)."""
    return float(cfg.typed.warehouse.staging_max_age_hours)


def input_uris(cfg: Config, options: Options, tables: list[str]) -> dict[str, str]:
    """The inputs of the selected tables, by manifest key (``predictions.<model>``, ``user_subjects``)."""
    model = options.predictions or "topics"
    uris = {f"predictions.{model}": cfg.uri("predictions", model), "user_subjects": cfg.uri("user_subjects")}
    return {key: uri for key, uri in uris.items() if key.split(".")[0] in tables}


def read_inputs(spark: SparkSession, cfg: Config, options: Options, tables: list[str], run_id: str) -> list[Input]:
    """The staged rows of each selected table (lazy: nothing is read until they are counted)."""
    uris = {key.split(".")[0]: uri for key, uri in input_uris(cfg, options, tables).items()}
    out = []
    if "predictions" in tables:
        months = args_mod.selected_months(options)
        predictions_df = io.read_dataset(spark, uris["predictions"], schemas.PREDICTIONS_TOPICS)
        documents_uri = cfg.uri("documents")
        documents_df = None
        if io.path_exists(spark, documents_uri):
            documents_df = io.read_dataset(spark, documents_uri, schemas.DOCUMENTS)
        else:
            log.warning("load_warehouse: %s does not exist: predictions are loaded without text", documents_uri)
        if months is None:
            months = months_present(predictions_df)
        predictions_df = predictions_df.where(F.col("month").isin(months))
        documents_df = documents_df.where(F.col("month").isin(months)) if documents_df is not None else None
        out.append(Input(warehouse.PREDICTIONS, uris["predictions"],
                         stage_predictions(predictions_df, documents_df, run_id), sorted(set(months))))
    if "user_subjects" in tables:
        day = as_of_date(options.as_of)
        subjects_df = io.read_dataset(spark, uris["user_subjects"], schemas.USER_SUBJECTS).where(F.col("as_of") == F.lit(day))
        out.append(Input(warehouse.USER_SUBJECTS, uris["user_subjects"], stage_user_subjects(subjects_df, run_id),
                         [day]))
    return out


# --------------------------------------------------------------------------- the run
def sweep(spark: SparkSession, conn: warehouse.Connection, target: str, run_id: str, max_age_hours: float,
          fail: bool) -> dict:
    """Drop the stale staging tables of ``target``: ``{"swept": [names]}``, plus ``sweep_error`` (redacted) when
    the sweep failed and ``fail`` is false (a load goes on: stale tables cost space, not correctness)."""
    try:
        return {"swept": warehouse.sweep_staging(spark, conn, target, run_id, max_age_hours)}
    except warehouse.WarehouseError as exc:
        if fail:
            raise
        message = conn.redact(str(exc))
        log.warning("load_warehouse: %s (the load goes on)", message)
        return {"swept": [], "sweep_error": message}


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    tables = selected_tables(options.tables)
    conn = warehouse.connection(cfg)  # fail fast on missing settings or secret, before reading anything
    targets = {t: cfg["warehouse"]["tables"][t] for t in tables}
    max_age = staging_max_age_hours(cfg)
    mismatch = []
    inputs = {} if options.sweep_only else input_uris(cfg, options, tables)
    with JobRun(spark, cfg, JOB, options, inputs=inputs) as run:  # inputs checked first
        manifest = run.manifest
        manifest.outputs = {f"warehouse.{t}": f"{conn.url}#{conn.qualified(name)}" for t, name in targets.items()}
        manifest.extra["warehouse"] = {}
        if options.sweep_only:
            for name, target in targets.items():
                with run.step(f"sweep_{name}") as step:
                    manifest.extra["warehouse"][name] = sweep(spark, conn, target, run.run_id, max_age, fail=True)
                    step.rows = len(manifest.extra["warehouse"][name]["swept"])
            return manifest
        for item in read_inputs(spark, cfg, options, tables, run.run_id):
            name = item.table.name
            with run.step(f"sweep_{name}") as step:
                swept = sweep(spark, conn, targets[name], run.run_id, max_age, fail=False)
                step.rows = len(swept["swept"])
            staged_df = item.staged_df.persist(StorageLevel.MEMORY_AND_DISK)
            try:
                with run.step(f"stage_{name}") as step:
                    counts = io.outcome_counts(staged_df)
                    manifest.add_counts(counts)
                    written = sum(r["n"] for r in counts if r["outcome"] == "written")
                    n_rejected = sum(r["n"] for r in counts if r["outcome"] == "rejected")
                    step.rows = sum(r["n"] for r in counts)
                if n_rejected:
                    with run.step(f"write_rejected_{name}") as step:
                        rejected_df = io.rejected_rows(
                            staged_df.withColumn("source", F.lit(name)).withColumn("source_file", F.lit(item.uri)),
                            JOB, run.run_id, io.run_month(),
                        )
                        io.write_rejected(rejected_df, cfg.base_uri)
                        step.rows = n_rejected
                with run.step(f"replace_{name}") as step:
                    rows_df = staged_df.where(F.col(io.OUTCOME).isNull())
                    result = {"staged": 0, "deleted": 0, "inserted": 0,
                              "slice": {item.table.slice_column: []}}
                    if item.slice_values:
                        result = warehouse.replace_slice(
                            spark, rows_df, item.table, conn, targets[name], run.run_id, item.slice_values,
                            cfg["warehouse"]["batch_size"], cfg["warehouse"]["write_partitions"],
                        )
                    else:
                        log.warning("load_warehouse: no %s slice to replace (the lake holds no month)", name)
                    step.rows = result["staged"]
                result["seconds"] = step.seconds
                manifest.extra["warehouse"][name] = {**result, **swept}
                if result["staged"] != written:
                    mismatch.append(f"{name}: staged {result['staged']} != written {written}")
                log.info("load_warehouse %s: slice %s replaced: %d rows deleted, %d inserted, %d rejected", name,
                         result["slice"], result["deleted"], result["inserted"], n_rejected)
            finally:
                staged_df.unpersist()
        if any(manifest.rejected.values()):
            manifest.outputs["rejected"] = f"{cfg.base_uri.rstrip('/')}/rejected"
    if mismatch:
        raise io.ReconciliationError(f"load_warehouse run {run.run_id}: " + "; ".join(mismatch))
    return manifest
