"""user_mode: topic predictions -> the 30-day mode of the subject per user (``moda_30d``), a run manifest and
rejected rows. The rules (window, ties, unassigned comments) are in :mod:`vocspark.analytics.user_mode`.

Modes (exactly one per run):

- as of a day (default; ``--as-of yyyy-MM-dd``, default today in UTC): one row per user with at least one
  comment in ``[as_of - 30 d, as_of)`` -> ``user_subjects/as_of=yyyy-MM-dd/``;
- history (``--history-from yyyy-MM-dd --history-to yyyy-MM-dd``, both included): the same result for every
  day of the range, in one pass -> ``user_subjects_history/month=yyyy-MM/as_of=yyyy-MM-dd/``;
- per comment (``--per-comment``, optionally with the range to select the comments by UTC day; without it every
  comment of the input): each comment with its user's result as of the comment's UTC day ->
  ``user_subjects_per_comment/month=yyyy-MM/as_of=yyyy-MM-dd/``.

History and per-comment outputs are partitioned by month and then by day so that dynamic partition overwrite
replaces exactly the days a run computed (a backfill of a few days never wipes the rest of their month). Days
of the run that end up with no row (nobody had a comment in the window) lose any partition an earlier run left,
so a rerun always replaces the whole day.

Input: ``predictions/<model>/month=yyyy-MM/`` (``--predictions``, default ``topics``). Only the month partitions
that can hold the counted days are read (one day of margin on both sides, plus rows without a month).

Manifest counts (they reconcile): ``read`` = prediction rows read; ``rejected``: ``missing_user`` (null user_id),
then ``missing_time`` (null created_at), both written to ``rejected/job=user_mode/source=predictions_<model>/``
with the row as JSON; ``filtered``: ``outside_window`` = rows no window of the run counts (and, per comment, that
get no row of their own); ``written`` = the rest, i.e. the comments counted. ``extra`` holds the users and rows
written, the days, the window bounds and the model versions of the counted rows.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io, schemas
from vocspark.analytics import user_mode as um
from vocspark.config import Config

log = logging.getLogger(__name__)
JOB = "user_mode"
OUTPUT_SCHEMAS = {
    "user_subjects": um.USER_SUBJECTS,
    "user_subjects_history": um.USER_SUBJECTS_HISTORY,
    "user_subjects_per_comment": um.USER_SUBJECTS_PER_COMMENT,
}


# --------------------------------------------------------------------------- arguments
def parse_date(text: str | dt.date | None) -> dt.date | None:
    """``yyyy-MM-dd`` -> date (a date passes through)."""
    if text is None or isinstance(text, dt.date):
        return text
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a yyyy-MM-dd date: {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=parse_date, default=None, metavar="yyyy-MM-dd",
                        help="run date: the window is the 30 UTC days before it (default: today, UTC)")
    parser.add_argument("--history-from", type=parse_date, default=None, metavar="yyyy-MM-dd",
                        help="history mode: first as-of day (with --history-to)")
    parser.add_argument("--history-to", type=parse_date, default=None, metavar="yyyy-MM-dd",
                        help="history mode: last as-of day, included")
    parser.add_argument("--per-comment", action="store_true",
                        help="one row per comment with the mode as of its UTC day (range optional)")
    parser.add_argument("--predictions", default="topics", help="predictions/<name>/ to read (default: topics)")


@dataclass(frozen=True)
class Plan:
    """What a run computes: the mode, its days and the instants it counts (epoch micros, ``[start, end)``)."""

    mode: str  # "as_of" | "history" | "per_comment"
    date_from: dt.date | None  # as_of: the as-of day; others: first day (None = from the data, per comment)
    date_to: dt.date | None
    output: str

    @property
    def bounds(self) -> tuple[int, int] | None:
        """Instants a comment must fall in to be used: counted by a window, or (per comment) given a row."""
        if self.date_from is None:
            return None
        first, last = um.day_number(self.date_from), um.day_number(self.date_to)
        end_day = last + 1 if self.mode == "per_comment" else last
        return um.day_start_micros(first - um.WINDOW_DAYS), um.day_start_micros(end_day)

    @property
    def months(self) -> list[str] | None:
        """Month partitions to read: those of the used days, with one day of margin on both sides."""
        if self.bounds is None:
            return None
        start, end = self.bounds
        first_day, after_day = start // um.MICROS_PER_DAY, end // um.MICROS_PER_DAY
        return um.months_between(um.day_of(first_day - 1), um.day_of(after_day))

    def with_range(self, date_from: dt.date, date_to: dt.date) -> Plan:
        return Plan(self.mode, date_from, date_to, self.output)


def plan_run(args: argparse.Namespace, today: dt.date | None = None) -> Plan:
    as_of = parse_date(getattr(args, "as_of", None))
    date_from = parse_date(getattr(args, "history_from", None))
    date_to = parse_date(getattr(args, "history_to", None))
    per_comment = bool(getattr(args, "per_comment", False))
    if (date_from is None) != (date_to is None):
        raise ValueError("--history-from and --history-to go together")
    if date_from is not None and date_from > date_to:
        raise ValueError(f"--history-from {date_from} is after --history-to {date_to}")
    if as_of is not None and (date_from is not None or per_comment):
        raise ValueError("--as-of cannot be combined with --history-from/--history-to or --per-comment")
    if per_comment:
        return Plan("per_comment", date_from, date_to, "user_subjects_per_comment")
    if date_from is not None:
        return Plan("history", date_from, date_to, "user_subjects_history")
    as_of = as_of or today or dt.datetime.now(dt.timezone.utc).date()
    return Plan("as_of", as_of, as_of, "user_subjects")


# --------------------------------------------------------------------------- transformations
def read_predictions(spark: SparkSession, uri: str, months: list[str] | None = None,
                     columns: list[str] | None = None) -> DataFrame:
    """Predictions rows (``columns``, default :data:`PREDICTION_COLUMNS`) of ``months`` (None = all), plus rows
    stored without a month. The filter is on the partition column, so other months are not listed or read."""
    df = io.read_dataset(spark, uri, um.PREDICTIONS_TOPICS)
    if months is not None:
        df = df.where(F.col("month").isin(months) | F.col("month").isNull())
    return df.select(*[F.col(c) for c in (columns or um.PREDICTION_COLUMNS)])


def mark_outcomes(df: DataFrame, start_micros: int, end_micros: int) -> DataFrame:
    """``_outcome``: rejected ``missing_user``, then ``missing_time``, then filtered ``outside_window`` (not in
    ``[start, end)``, UTC epoch micros); null = counted."""
    is_outside = ~um.in_range("created_at", start_micros, end_micros)
    return df.withColumn(
        io.OUTCOME,
        io.first_outcome(
            (F.col("user_id").isNull(), io.reject("missing_user")),
            (F.col("created_at").isNull(), io.reject("missing_time")),
            (is_outside, io.filtered("outside_window")),
        ),
    )


def with_raw(df: DataFrame, source: str) -> DataFrame:
    """``raw`` (the row as JSON, instants in UTC), ``source`` and ``source_file`` for the rejected contract."""
    row = F.struct(*[F.col(f.name) for f in um.PREDICTIONS_TOPICS.fields])
    return df.select(
        "*",
        F.to_json(row, {"timeZone": "UTC"}).alias("raw"),
        F.lit(source).alias("source"),
        F.input_file_name().alias("source_file"),
    )


def data_range(df: DataFrame) -> tuple[dt.date, dt.date] | None:
    """First and last UTC day of the comments with user and time (one small aggregate), None when there is none."""
    days = utc_days_of_valid(df).agg(F.min("day").alias("first"), F.max("day").alias("last")).first()
    if days is None or days["first"] is None:
        return None
    return um.day_of(int(days["first"])), um.day_of(int(days["last"]))


def utc_days_of_valid(df: DataFrame) -> DataFrame:
    is_valid = F.col("user_id").isNotNull() & F.col("created_at").isNotNull()
    return df.where(is_valid).select(um.utc_day("created_at").alias("day"))


def results(kept_df: DataFrame, plan: Plan) -> tuple[DataFrame, DataFrame | None]:
    """The output rows of ``plan`` (conformed to its contract) and the DataFrame to unpersist afterwards."""
    if plan.mode == "as_of":
        out_df = um.user_subjects_as_of(kept_df, plan.date_from)
        return schemas.conform(out_df, um.USER_SUBJECTS), None
    daily_df = um.daily_subject_counts(kept_df, plan.date_from, plan.date_to).persist(StorageLevel.MEMORY_AND_DISK)
    if plan.mode == "history":
        out_df = um.history_from_daily(daily_df, plan.date_from, plan.date_to)
    else:
        out_df = um.per_comment_from_daily(kept_df, daily_df, plan.date_from, plan.date_to)
    return schemas.conform(out_df, OUTPUT_SCHEMAS[plan.output]), daily_df


# --------------------------------------------------------------------------- the run
class _Laps:
    """Seconds per step of a run, for the log and the manifest."""

    def __init__(self) -> None:
        self.t0 = self.last = time.monotonic()
        self.seconds: dict[str, float] = {}

    def lap(self, name: str) -> float:
        now = time.monotonic()
        self.seconds[name], self.last = round(now - self.last, 3), now
        return self.seconds[name]

    def summary(self) -> dict[str, float]:
        return {**self.seconds, "total": round(time.monotonic() - self.t0, 3)}


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace) -> io.Manifest:
    plan = plan_run(args)
    model = getattr(args, "predictions", None) or "topics"
    run_id = getattr(args, "run_id", None) or io.new_run_id()
    input_uri = cfg.uri("predictions", model)
    inputs = {f"predictions.{model}": input_uri}
    io.require_inputs(spark, inputs)  # fail before any write, naming the path
    output_uri = cfg.uri(plan.output)
    manifest = io.Manifest(
        JOB, run_id, args={k: v for k, v in vars(args).items() if k != "JOB_NAME"}, inputs=inputs,
        outputs={plan.output: output_uri},
    )
    laps = _Laps()
    months_read = plan.months  # None: every month
    predictions_df = read_predictions(spark, input_uri, months_read)
    if plan.date_from is None:  # per comment over the whole input: the range comes from the data
        found = data_range(predictions_df)
        plan = plan.with_range(*found) if found else plan
    manifest.extra.update(mode=plan.mode, date_from=plan.date_from, date_to=plan.date_to, months_read=months_read)
    manifest.extra["window"] = _window_text(plan)

    staged_df = mark_outcomes(predictions_df, *(plan.bounds or (0, 0)))  # no bounds: nothing with user and time
    # one small aggregate: rows per (outcome, model version, UTC day) -> the manifest counts and the output days
    counts = io.outcome_counts(staged_df.select("*", um.utc_day("created_at").alias("day")), ["model_version", "day"])
    manifest.add_counts(counts)
    manifest.extra["model_versions"] = _written_by_version(counts)
    days = output_days(plan, {int(r["day"]) for r in counts if r["outcome"] == "written"})
    log.info("user_mode: %s, read %d rows, %d counted in %.1fs", plan.mode, manifest.read, manifest.written, laps.lap("count"))

    if manifest.written > 0:
        out_df, cached_df = results(staged_df.where(F.col(io.OUTCOME).isNull()), plan)
        try:
            io.write_partitioned(out_df, output_uri, um.PARTITIONS[plan.output])
        finally:
            if cached_df is not None:
                cached_df.unpersist()
    laps.lap("write")
    removed = remove_stale_days(spark, output_uri, plan, days) if plan.date_from is not None else []
    written, users = output_counts(spark, output_uri, plan) if days else ({}, 0)
    manifest.extra.update(rows=sum(written.values()), users=users, days_written=len(written), stale_partitions_removed=removed)
    log.info("user_mode: wrote %d rows (%d users) to %s in %.1fs (+%.1fs to count them)", manifest.extra["rows"],
             users, output_uri, laps.seconds["write"], laps.lap("read_back"))

    if manifest.rejected:
        rejected_uri = write_rejected_rows(spark, cfg, input_uri, model, plan, run_id)
        manifest.outputs["rejected"] = rejected_uri
        log.info("user_mode: wrote %d rejected rows to %s in %.1fs", sum(manifest.rejected.values()), rejected_uri,
                 laps.lap("rejected"))
    manifest.extra["seconds"] = laps.summary()
    manifest.close(spark, cfg.base_uri)
    return manifest


def write_rejected_rows(spark: SparkSession, cfg: Config, input_uri: str, model: str, plan: Plan, run_id: str) -> str:
    """A second, narrow pass: only the rejected rows, with every column of the row as JSON."""
    all_columns = [f.name for f in um.PREDICTIONS_TOPICS.fields]
    full_df = read_predictions(spark, input_uri, plan.months, all_columns)
    is_missing = F.col("user_id").isNull() | F.col("created_at").isNull()
    staged_df = mark_outcomes(full_df.where(is_missing), *(plan.bounds or (0, 0))).transform(with_raw, f"predictions_{model}")
    return io.write_rejected(io.rejected_rows(staged_df, JOB, run_id, io.run_month()), cfg.base_uri)


def output_counts(spark: SparkSession, output_uri: str, plan: Plan) -> tuple[dict[dt.date, int], int]:
    """Rows per as-of day of the run and distinct users over the run's days, read back from the output in one
    small aggregate (a rollup: one row per day plus the total)."""
    if not io.path_exists(spark, output_uri):
        return {}, 0
    df = io.read_dataset(spark, output_uri, OUTPUT_SCHEMAS[plan.output])
    rows = df.where(F.col("as_of").between(plan.date_from, plan.date_to)).rollup("as_of").agg(F.count(F.lit(1)).alias("n"), F.countDistinct("user_id").alias("users")).collect()
    per_day = {row["as_of"]: int(row["n"]) for row in rows if row["as_of"] is not None and row["n"]}
    users = next((int(row["users"]) for row in rows if row["as_of"] is None), 0)
    return per_day, users


def output_days(plan: Plan, counted_days: set[int]) -> set[dt.date]:
    """The days of the run that get at least one output row, from the UTC days of the counted comments:
    as of D, D when anything is counted; history, each day whose window holds a counted day; per comment, the
    days of the comments (with a user and a time) in the range."""
    if plan.date_from is None or not counted_days:
        return set()
    first, last = um.day_number(plan.date_from), um.day_number(plan.date_to)
    if plan.mode == "as_of":
        return {plan.date_from}
    if plan.mode == "per_comment":
        return {um.day_of(d) for d in counted_days if first <= d <= last}
    return {um.day_of(d) for d in range(first, last + 1) if any(d - um.WINDOW_DAYS <= c < d for c in counted_days)}


def remove_stale_days(spark: SparkSession, output_uri: str, plan: Plan, days: set[dt.date]) -> list[str]:
    """Delete the partitions of the run's days that get no row now (dynamic overwrite only replaces the
    partitions it writes, so an earlier run's rows for such a day would otherwise survive the rerun)."""
    removed = []
    day = plan.date_from
    while day <= plan.date_to:
        if day not in days:
            uri = partition_uri(output_uri, plan.output, day)
            if io.path_exists(spark, uri):
                delete_path(spark, uri)
                removed.append(uri)
        day += dt.timedelta(days=1)
    return removed


def partition_uri(output_uri: str, output: str, day: dt.date) -> str:
    values = {"month": day.strftime("%Y-%m"), "as_of": day.isoformat()}
    return "/".join([output_uri.rstrip("/"), *[f"{col}={values[col]}" for col in um.PARTITIONS[output]]])


def delete_path(spark: SparkSession, uri: str) -> bool:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return bool(path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True))


def _written_by_version(counts: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in counts:
        if row["outcome"] == "written":
            key = row["model_version"] if row["model_version"] is not None else "null"
            out[key] = out.get(key, 0) + int(row["n"])
    return dict(sorted(out.items()))


def _window_text(plan: Plan) -> dict[str, str] | None:
    """The counted instants as ISO text, e.g. {"start": "2021-05-02T00:00:00+00:00", "end": ...} (end excluded)."""
    if plan.bounds is None:
        return None
    start, end = (dt.datetime.fromtimestamp(b / 1e6, dt.timezone.utc).isoformat() for b in plan.bounds)
    return {"start": start, "end_excluded": end}
