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
written, the days written, the window bounds, the model versions of the counted rows and the timed steps (``extra.steps``).
As of a day the counts are observed (``DataFrame.observe``) while the output is written, so the input is scanned
once (``read`` is counted on its own, so the reconciliation is a real check); history and per comment first run
one small aggregate (rows per outcome, model version and UTC day) that also tells which days get rows. Rejected
rows, when there are any, cost one more pass that reads every column of the affected months.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from vocspark import io, runtime, schemas
from vocspark.analytics import user_mode as um
from vocspark.config import Config
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "user_mode"
OUTPUT_SCHEMAS = {
    "user_subjects": schemas.USER_SUBJECTS,
    "user_subjects_history": schemas.USER_SUBJECTS_HISTORY,
    "user_subjects_per_comment": schemas.USER_SUBJECTS_PER_COMMENT,
}


@dataclass(frozen=True)
class Options(runtime.Options):
    """The mode (``--as-of`` | ``--history-from``/``--history-to`` | ``--per-comment``, see :func:`plan_run`)
    and ``--predictions`` (predictions/<name>/ to read). Dates as ``yyyy-MM-dd`` text or dates."""

    as_of: str | dt.date | None = None
    history_from: str | dt.date | None = None
    history_to: str | dt.date | None = None
    per_comment: bool = False
    predictions: str | None = "topics"


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


def plan_run(args: argparse.Namespace | Options, today: dt.date | None = None) -> Plan:
    options = runtime.options_from(args, Options)
    as_of = parse_date(options.as_of)
    date_from = parse_date(options.history_from)
    date_to = parse_date(options.history_to)
    per_comment = bool(options.per_comment)
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
    df = io.read_dataset(spark, uri, schemas.PREDICTIONS_TOPICS)  # Spark reads every column as nullable
    if months is not None:
        df = df.where(F.col("month").isin(months) | F.col("month").isNull())
    return df.select(*[F.col(c) for c in (columns or um.PREDICTION_COLUMNS)])


OUTCOMES = ("rejected:missing_user", "rejected:missing_time", "filtered:outside_window")  # first match wins


def mark_outcomes(df: DataFrame, start_micros: int, end_micros: int) -> DataFrame:
    """``_outcome``: rejected ``missing_user``, then ``missing_time``, then filtered ``outside_window`` (not in
    ``[start, end)``, UTC epoch micros); null = counted."""
    is_outside = ~um.in_range("created_at", start_micros, end_micros)
    missing_user, missing_time, outside = OUTCOMES
    return df.withColumn(
        io.OUTCOME,
        io.first_outcome(
            (F.col("user_id").isNull(), F.lit(missing_user)),
            (F.col("created_at").isNull(), F.lit(missing_time)),
            (is_outside, F.lit(outside)),
        ),
    )


def with_raw(df: DataFrame, source: str) -> DataFrame:
    """``raw`` (the row as JSON, instants in UTC), ``source`` (replacing the prediction's own, which stays in
    ``raw``) and ``source_file`` for the rejected contract."""
    row = F.struct(*[F.col(f.name) for f in schemas.PREDICTIONS_TOPICS.fields if f.name in df.columns])
    return df.select(
        *[F.col(c) for c in df.columns if c != "source"],
        F.to_json(row, {"timeZone": "UTC"}).alias("raw"),
        F.lit(source).alias("source"),
        F.input_file_name().alias("source_file"),
    )


def outcome_counts(staged_df: DataFrame) -> list[dict]:
    """Rows per (outcome, detail, model_version, UTC day) in one small aggregate, shaped as the rows of
    :func:`io.outcome_counts` (which splits ``_outcome`` on every input row; here only the groups are split)."""
    grouped = staged_df.groupBy(
        F.col(io.OUTCOME), F.col("model_version"), um.utc_day("created_at").alias("day")
    ).agg(F.count(F.lit(1)).alias("n"))
    out = []
    for row in grouped.collect():  # one row per outcome, version and day: small whatever the input size
        outcome, _, detail = (row[io.OUTCOME] or "written:").partition(":")
        out.append({"outcome": outcome, "detail": detail, "model_version": row["model_version"],
                    "day": row["day"], "n": int(row["n"])})
    return out


def observe_outcomes(staged_df: DataFrame) -> tuple[DataFrame, Observation]:
    """``staged_df`` with the manifest counts observed while the output is written (as of a day: one scan of the
    input instead of a count pass plus the main pass). Read them with :func:`observed_counts` after the write."""
    outcome = F.col(io.OUTCOME)
    observation = Observation(f"user_mode_counts_{uuid.uuid4().hex}")
    versions = F.collect_set(F.when(outcome.isNull(), F.col("model_version")))
    observed_df = staged_df.observe(
        observation,
        F.count(F.lit(1)).alias("read"),
        F.count(F.when(outcome.isNull(), 1)).alias("written"),
        *[F.count(F.when(outcome == value, 1)).alias(value) for value in OUTCOMES],
        F.to_json(F.array_sort(versions)).alias("model_versions"),
    )
    return observed_df, observation


def observed_counts(observation: Observation) -> tuple[list[dict], int, list[str]]:
    """(rows as from :func:`outcome_counts` without version and day, rows read, model versions counted)."""
    metrics = observation.get
    rows = [{"outcome": "written", "detail": "", "n": int(metrics["written"])}]
    for value in OUTCOMES:
        outcome, _, detail = value.partition(":")
        if metrics[value]:
            rows.append({"outcome": outcome, "detail": detail, "n": int(metrics[value])})
    return rows, int(metrics["read"]), json.loads(metrics["model_versions"] or "[]")


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
    """The output rows of ``plan`` (conformed to its contract) and the persisted daily table (None as of a
    day) that the caller unpersists after the write."""
    if plan.mode == "as_of":
        out_df = um.user_subjects_as_of(kept_df, plan.date_from)
        return schemas.conform(out_df, schemas.USER_SUBJECTS, strict=True), None
    daily_df = um.daily_subject_counts(kept_df, plan.date_from, plan.date_to).persist(StorageLevel.MEMORY_AND_DISK)
    if plan.mode == "history":
        out_df = um.history_from_daily(daily_df, plan.date_from, plan.date_to)
    else:
        out_df = um.per_comment_from_daily(kept_df, daily_df, plan.date_from, plan.date_to)
    return schemas.conform(out_df, OUTPUT_SCHEMAS[plan.output], strict=True), daily_df


def write_output(staged_df: DataFrame, output_uri: str, plan: Plan) -> int | None:
    """Compute and write the output of ``plan`` from the staged rows; for history, the users written (every user
    of the daily table has a row on some day of the range), counted before the daily table is dropped."""
    out_df, daily_df = results(staged_df.where(F.col(io.OUTCOME).isNull()), plan)
    try:
        io.write_partitioned(out_df, output_uri, schemas.PARTITIONS[plan.output])
        return daily_df.select("user_id").distinct().count() if plan.mode == "history" else None
    finally:
        if daily_df is not None:
            daily_df.unpersist()


# --------------------------------------------------------------------------- the run
def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    plan = plan_run(options)
    model = options.predictions or "topics"
    input_uri, output_uri = cfg.uri("predictions", model), cfg.uri(plan.output)
    with JobRun(spark, cfg, JOB, options, inputs={f"predictions.{model}": input_uri}) as run:  # inputs checked first
        manifest = run.manifest
        manifest.outputs = {plan.output: output_uri}
        months_read = plan.months  # None: every month
        predictions_df = read_predictions(spark, input_uri, months_read)
        if plan.date_from is None:  # per comment over the whole input: the range comes from the data
            with run.step("data_range"):
                found = data_range(predictions_df)
            plan = plan.with_range(*found) if found else plan
        manifest.extra.update(mode=plan.mode, date_from=plan.date_from, date_to=plan.date_to, months_read=months_read)
        manifest.extra["window"] = _window_text(plan)

        staged_df = mark_outcomes(predictions_df, *(plan.bounds or (0, 0)))  # no bounds: nothing with user and time
        if plan.mode == "as_of":
            with run.step("count_and_write") as step:  # one scan: the counts are observed while the output is written
                observed_df, observation = observe_outcomes(staged_df)
                write_output(observed_df, output_uri, plan)
                counts, read, versions = observed_counts(observation)
                manifest.add_counts(counts)
                manifest.read = read  # counted independently of the outcomes: close() checks they add up
                step.rows = manifest.read
            days = {plan.date_from} if manifest.written else set()
            history_users = None
        else:
            # a small aggregate first (rows per outcome, model version and UTC day: the counts and the output days)
            with run.step("count") as step:
                counts = outcome_counts(staged_df)
                manifest.add_counts(counts)
                step.rows = manifest.read
            versions = sorted({r["model_version"] for r in counts if r["outcome"] == "written" and r["model_version"]})
            days = output_days(plan, {int(r["day"]) for r in counts if r["outcome"] == "written"})
            with run.step("write") as step:
                history_users = write_output(staged_df, output_uri, plan) if manifest.written else None
                step.rows = manifest.written
        log.info("user_mode: %s, read %d rows, %d counted", plan.mode, manifest.read, manifest.written)
        manifest.extra["model_versions"] = versions
        with run.step("read_back") as step:
            removed = remove_stale_days(spark, output_uri, plan, days) if plan.date_from is not None else []
            written, users = output_counts(spark, output_uri, plan, history_users) if days else ({}, 0)
            step.rows = sum(written.values())
        manifest.extra.update(rows=sum(written.values()), users=users, days_written=len(written),
                              stale_partitions_removed=removed)
        log.info("user_mode: wrote %d rows (%d users) to %s", manifest.extra["rows"], users, output_uri)

        if manifest.rejected:
            with run.step("write_rejected") as step:
                rejected_uri = write_rejected_rows(spark, cfg, input_uri, model, plan, run.run_id)
                step.rows = sum(manifest.rejected.values())
            manifest.outputs["rejected"] = rejected_uri
    return manifest


def write_rejected_rows(spark: SparkSession, cfg: Config, input_uri: str, model: str, plan: Plan, run_id: str) -> str:
    """A second, narrow pass: only the rejected rows, with every column of the row as JSON."""
    all_columns = schemas.PREDICTIONS_TOPICS.fieldNames()
    full_df = read_predictions(spark, input_uri, plan.months, all_columns)
    is_missing = F.col("user_id").isNull() | F.col("created_at").isNull()
    staged_df = mark_outcomes(full_df.where(is_missing), *(plan.bounds or (0, 0))).transform(with_raw, f"predictions_{model}")
    return io.write_rejected(io.rejected_rows(staged_df, JOB, run_id, io.run_month()), cfg.base_uri)


def output_counts(spark: SparkSession, output_uri: str, plan: Plan,
                  history_users: int | None = None) -> tuple[dict[dt.date, int], int]:
    """Rows per as-of day of the run, read back from the output (partition column only), and users written:
    as of a day one row per user; history: ``history_users`` (distinct users of the daily table); per comment:
    distinct users read back."""
    df = io.read_dataset(spark, output_uri, OUTPUT_SCHEMAS[plan.output]).where(
        F.col("as_of").between(plan.date_from, plan.date_to)
    )
    per_day = {row["as_of"]: int(row["n"]) for row in df.groupBy("as_of").agg(F.count(F.lit(1)).alias("n")).collect()}
    if plan.mode == "as_of":
        users = sum(per_day.values())
    elif plan.mode == "history" and history_users is not None:
        users = history_users
    else:
        users = df.select("user_id").distinct().count()
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
            if io.delete(spark, uri):
                removed.append(uri)
        day += dt.timedelta(days=1)
    return removed


def partition_uri(output_uri: str, output: str, day: dt.date) -> str:
    values = {"month": day.strftime("%Y-%m"), "as_of": day.isoformat()}
    return "/".join([output_uri.rstrip("/"), *[f"{col}={values[col]}" for col in schemas.PARTITIONS[output]]])


def _window_text(plan: Plan) -> dict[str, str] | None:
    """The counted instants as ISO text, e.g. {"start": "2021-05-02T00:00:00+00:00", "end": ...} (end excluded)."""
    if plan.bounds is None:
        return None
    start, end = (dt.datetime.fromtimestamp(b / 1e6, dt.timezone.utc).isoformat() for b in plan.bounds)
    return {"start": start, "end_excluded": end}
