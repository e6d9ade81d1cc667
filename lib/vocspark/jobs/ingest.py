"""ingest: raw sources (as delivered) -> ``documents`` (one schema), ``rejected``, the ledger and a run manifest.

Incremental: a run reads only the raw files it has not processed before, plus what is needed to rewrite whole
months (the ledger, :mod:`vocspark.ledger`, records per file its size, modification time, the run that took it and
the months its records fall in):

- **new files**: listed under ``sources.<s>.path`` and not in the ledger with the same size and modification time
  (never seen, or changed since). Every new file is read.
- **months to write** (per source): the months of the new files' records, the months a changed file's earlier
  version had written, and *pending* months (months of ledgered files that an earlier month selection did not
  write); with ``--months`` / ``--last-days`` only those inside the selection. ``--reprocess a,b`` (or ``all``)
  adds months to rebuild from every file whatever the ledger says (``all``: every month of every file, inside the
  selection when there is one).
- **re-read files**: ledgered files whose months meet the months to write: dynamic overwrite replaces whole month
  partitions, so every file that touched a rewritten month is read again and the month comes out exactly as a
  full rebuild would write it. The other ledgered files are *skipped*.
- **pruned files**: with a month selection, a new file whose Firehose ``yyyy/mm/dd/hh`` prefix day is more than
  one day (late deliveries) outside every selected month (and every ``--reprocess`` month) is not read, nor
  recorded: a later run that selects its months takes it.

A run with no new file and nothing pending reads nothing and writes a manifest with zero rows. A ledger that
cannot be read fails before anything is written, naming its URI. The ledger is written last, after the
documents and rejected rows: a run killed before that leaves its files new, and the next run ingests them again
(same months rewritten, same rows: idempotent).

Per source, the parser of its ``kind`` (:mod:`vocspark.sources`) types the record and marks malformed records
(rejected, with a reason) and records its own rules drop (filtered: marketplace, language, keyword). Then, over
the new and re-read records of every source:

1. ``length``: the text, trimmed, must be longer than ``ingest.min_chars`` and shorter than ``ingest.max_chars``
   characters (defaults: more than 5 and fewer than 5000);
2. ``duplicate``: one record per (source, doc_id) is kept; the others are filtered. Exact duplicates share the
   id (hashed ids cover the whole content); when two records share an id but differ, the one with the latest
   ``created_at`` wins, then the smallest source file and text, so reruns keep the same one;
3. ``outside_months``: kept records of months this run does not write (outside the selection, or months of a
   re-read file that are not being rewritten) are filtered.

Good records are written to ``documents/source=<s>/month=yyyy-MM/`` with dynamic partition overwrite.

Rejects are recorded once: only records of the run's NEW files go to ``rejected/job=ingest/source=<s>/
run_id=<run>/`` (a re-read file's malformed records were recorded by the run that first read it), and
:func:`vocspark.io.write_rejected` drops a record another run already recorded (a changed file's old lines).

Manifest counts cover every record the run read, new and re-read, each with its outcome, so they reconcile:
read = written + rejected + filtered, per source too. ``extra["ledger"]`` says where they came from:
``new_files`` (their URIs), ``reread_files``, ``skipped_files``, ``pruned_files`` (numbers of files),
``reread_rows`` (records read from re-read files), ``rejected_recorded`` (rows this run added to ``rejected/``:
at most ``sum(rejected)``), ``months_written`` and ``pending_months`` per source.

Limit: duplicates are resolved within the months a run reads; a record id delivered again with a date in another
month (an edited review) keeps one copy per month until both months are rebuilt (``--reprocess``). A raw file
deleted after ingest keeps its rows until its months are rebuilt.
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Callable

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import args as args_mod
from vocspark import io, ledger, runtime, schemas
from vocspark.config import Config, ConfigError, Settings
from vocspark.runtime import JobRun
from vocspark.sources import amazon, common, instagram, twitter

log = logging.getLogger(__name__)
JOB = "ingest"

PARSERS: dict[str, Callable[..., DataFrame]] = {
    "amazon_reviews_tsv": amazon.parse,
    "twitter_firehose_json": twitter.parse,
    "instagram_csv": instagram.parse,
}
FROM_NEW = "_from_new_file"  # True for records of a file new in this run, False for a re-read file
STAGED_COLUMNS = [f.name for f in schemas.DOCUMENTS.fields if f.name != "month"] + ["raw", io.OUTCOME, FROM_NEW]
LATE_DELIVERY_DAYS = 1  # Firehose prefix pruning margin
ALL = "all"


@dataclass(frozen=True)
class Options(runtime.Options):
    """``--sources a,b`` (default: every enabled source), the month selection (:mod:`vocspark.args`) and
    ``--reprocess`` (months yyyy-MM, comma-separated, or ``all``)."""

    sources: str | None = None
    months: str | None = None
    last_days: int | None = None
    as_of: str | None = None
    reprocess: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources", default=None,
        help="comma-separated source names from config (default: every enabled source)",
    )
    args_mod.add_month_selection(parser, "ingest")
    parser.add_argument(
        "--reprocess", default=None,
        help="rebuild these months (yyyy-MM, comma-separated, or `all`) from every raw file, whatever the ledger says",
    )


def selected_sources(settings: Settings, sources_arg: str | None) -> list[str]:
    if sources_arg:
        names = [s.strip() for s in sources_arg.split(",") if s.strip()]
        unknown = [n for n in names if n not in settings.sources]
        if unknown:
            raise ConfigError(f"--sources: unknown source `{unknown[0]}` (config has: {', '.join(settings.sources)})")
        return names
    return [name for name, src in settings.sources.items() if src.enabled]


def reprocess_months(value: str | None) -> list[str] | str | None:
    """``--reprocess``: None, ``"all"`` or the months it names (bad values fail naming the option)."""
    if value is None or not str(value).strip():
        return None
    if str(value).strip().lower() == ALL:
        return ALL
    months = [m.strip() for m in str(value).split(",") if m.strip()]
    for month in months:
        if not re.match(args_mod.MONTH_PATTERN, month):
            raise ConfigError(f"--reprocess: `{month}` is not a month yyyy-MM (or `all`)")
    return months


# --------------------------------------------------------------------------- transformations
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


def select_months(df: DataFrame, months_by_source: dict[str, set[str]] | None) -> DataFrame:
    """Mark kept rows whose (source, month) is not one the run writes as ``filtered:outside_months`` (None: keep
    all). A written month is written whole: every file that touched it is among the rows (module doc)."""
    if months_by_source is None:
        return df
    keys = sorted(f"{s}\x1f{m}" for s, months in months_by_source.items() for m in months)
    is_outside = ~F.concat_ws("\x1f", F.col("source"), F.col("month")).isin(keys)
    return df.withColumn(io.OUTCOME, keep_outcome(F.when(is_outside, io.filtered("outside_months"))))


@functools.lru_cache(maxsize=1)
def _staged_schema() -> T.StructType:
    fields = [f for f in schemas.DOCUMENTS.fields if f.name != "month"]
    # Parsers cannot promise non-null values for malformed rows: everything is nullable while staged.
    nullable = [T.StructField(f.name, f.dataType, True) for f in fields]
    return T.StructType(nullable + [T.StructField("raw", T.StringType()), T.StructField(io.OUTCOME, T.StringType())])


def parse_files(
    spark: SparkSession, settings: Settings, files_by_source: dict[str, list[str]], is_new: bool, now: dt.datetime
) -> DataFrame:
    """The parsed records of the given files (Hadoop paths) per source, with ``_from_new_file``; an empty frame of
    the staged schema when there is no file."""
    frames = []
    for name, paths in files_by_source.items():
        if not paths:
            continue
        src = settings.sources[name]
        parsed_df = PARSERS[src.kind](spark, list(paths), name, src, now)  # now: date plausibility (sources.common)
        frames.append(schemas.conform(parsed_df, _staged_schema()))
    if not frames:
        frames.append(spark.createDataFrame([], _staged_schema()))
    return functools.reduce(DataFrame.unionByName, frames).withColumn(FROM_NEW, F.lit(is_new))


def stage(parsed_df: DataFrame, settings: Settings, months_by_source: dict[str, set[str]] | None) -> DataFrame:
    """Every record read with its outcome: the whole transform, before any write."""
    return (
        parsed_df.transform(filter_length, settings.ingest.min_chars, settings.ingest.max_chars)
        .transform(mark_duplicates)
        .transform(keep_raw_of_rejected)
        .transform(with_month)
        .transform(select_months, months_by_source)
    )


def file_months(parsed_df: DataFrame) -> dict[tuple[str, str], set[str]]:
    """(source, file URI) -> months of its dated records (one small aggregate: files x months)."""
    rows = (
        parsed_df.transform(with_month)
        .where(F.col("month").isNotNull())
        .select("source", "source_file", "month")
        .distinct()
        .collect()
    )
    out: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        out.setdefault((row["source"], row["source_file"]), set()).add(row["month"])
    return out


# --------------------------------------------------------------------------- choosing files
def within_selection(day: dt.date, months: list[str], margin_days: int = LATE_DELIVERY_DAYS) -> bool:
    """True when ``day`` is inside one of ``months`` widened by ``margin_days`` on each side."""
    for month in months:
        year, mon = (int(x) for x in month.split("-"))
        first = dt.date(year, mon, 1)
        last = dt.date(year, mon, calendar.monthrange(year, mon)[1])
        if first - dt.timedelta(days=margin_days) <= day <= last + dt.timedelta(days=margin_days):
            return True
    return False


@dataclass
class SourcePlan:
    """Which files of one source the run reads, and which months it writes (module doc)."""

    name: str
    new: list[io.FileStatus] = field(default_factory=list)
    known: list[tuple[io.FileStatus, ledger.FileState]] = field(default_factory=list)
    pruned: list[io.FileStatus] = field(default_factory=list)
    earlier_months: set[str] = field(default_factory=set)  # months written from changed files' earlier versions
    reread: list[tuple[io.FileStatus, ledger.FileState]] = field(default_factory=list)
    months: set[str] = field(default_factory=set)  # months to write

    @property
    def pending(self) -> set[str]:
        return {m for _, state in self.known for m in state.pending}


def plan_files(
    listed: list[io.FileStatus], source: str, book: ledger.Ledger, selection: list[str] | None,
    reprocess: list[str] | str | None,
) -> SourcePlan:
    """New, known and pruned files of one source (before reading anything)."""
    plan = SourcePlan(source)
    window = None if selection is None else sorted(set(selection) | (set(reprocess) if isinstance(reprocess, list) else set()))
    for status in listed:
        state = book.state(source, status)
        if state is not None:
            plan.known.append((status, state))
            continue
        day = twitter.delivery_date(status.uri)
        if window is not None and day is not None and not within_selection(day, window):
            plan.pruned.append(status)
            continue
        plan.new.append(status)
        plan.earlier_months |= book.earlier_months(source, status)
    return plan


def choose_months(
    plan: SourcePlan, new_months: set[str], selection: list[str] | None, reprocess: list[str] | str | None
) -> None:
    """Fill ``plan.months`` (months to write) and ``plan.reread`` (known files touching them)."""
    wanted = new_months | plan.earlier_months | plan.pending
    if selection is not None:
        wanted &= set(selection)
    if reprocess == ALL:
        every = new_months | {m for _, state in plan.known for m in state.months}
        wanted |= every & set(selection) if selection is not None else every
    elif reprocess:
        wanted |= set(reprocess)
    plan.months = wanted
    plan.reread = [(status, state) for status, state in plan.known if state.months & wanted]


# --------------------------------------------------------------------------- the job
def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    settings = cfg.typed
    names = selected_sources(settings, options.sources)
    selection = args_mod.selected_months(options)
    reprocess = reprocess_months(options.reprocess)
    inputs = {f"sources.{n}.path": settings.sources[n].path for n in names}
    with JobRun(spark, cfg, JOB, options, inputs=inputs) as run:  # checks the inputs before any write
        manifest = run.manifest
        if not names:
            log.warning("no enabled source: nothing to ingest")
            return manifest
        manifest.extra["months"] = selection or "all"
        ledger_uri = ledger.ledger_uri(cfg.base_uri, JOB)
        with run.step("plan_files") as step:
            book = ledger.read(spark, ledger_uri)  # fails naming the ledger before any write
            plans = {
                n: plan_files(io.list_file_status(spark, settings.sources[n].path), n, book, selection, reprocess)
                for n in names
            }
            step.rows = sum(len(p.new) for p in plans.values())

        now = common.reference_time(options.as_of, dt.datetime.fromisoformat(manifest.started_at))
        new_df = parse_files(spark, settings, {n: [f.path for f in p.new] for n, p in plans.items()}, True, now)
        new_df = new_df.persist(StorageLevel.MEMORY_AND_DISK)
        staged_df = None
        try:
            with run.step("months_of_new_files") as step:
                months_of = file_months(new_df) if any(p.new for p in plans.values()) else {}
                for name, plan in plans.items():
                    new_months = {m for f in plan.new for m in months_of.get((name, f.uri), set())}
                    choose_months(plan, new_months, selection, reprocess)
                step.rows = sum(len(p.months) for p in plans.values())

            reread_df = parse_files(
                spark, settings, {n: [f.path for f, _ in p.reread] for n, p in plans.items()}, False, now
            )
            months_by_source = {n: p.months for n, p in plans.items()}
            staged_df = stage(new_df.unionByName(reread_df), settings, months_by_source)
            staged_df = staged_df.persist(StorageLevel.MEMORY_AND_DISK)
            with run.step("stage_and_count") as step:
                counts = io.outcome_counts(staged_df, ["source", FROM_NEW])
                manifest.add_counts(counts)
                manifest.extra["by_source"] = _per_source(counts)
                step.rows = manifest.read

            documents_uri = cfg.uri("documents")
            with run.step("write_documents") as step:
                documents_df = schemas.conform(staged_df.where(F.col(io.OUTCOME).isNull()), schemas.DOCUMENTS)
                io.write_partitioned(documents_df, documents_uri, schemas.PARTITIONS["documents"],
                                     settings.ingest.output_partitions_per_month)
                step.rows = manifest.written

            with run.step("write_rejected") as step:
                rejected_df = io.rejected_rows(staged_df.where(F.col(FROM_NEW)), JOB, run.run_id, io.run_month())
                rejected_uri = io.write_rejected(rejected_df, cfg.base_uri)
                recorded = _rows_recorded(spark, rejected_uri, run.run_id)
                step.rows = recorded
            manifest.outputs = {"documents": documents_uri, "rejected": rejected_uri}

            with run.step("write_ledger") as step:  # last: only after the documents are committed
                records = _ledger_records(plans, months_of, run.run_id)
                ledger_file = ledger.write(spark, ledger_uri, run.run_id, records)
                step.rows = len(records)
            if ledger_file:
                manifest.outputs["ledger"] = ledger_file
            manifest.extra["ledger"] = {
                "new_files": sorted(f.uri for p in plans.values() for f in p.new),
                "reread_files": sum(len(p.reread) for p in plans.values()),
                "skipped_files": sum(len(p.known) - len(p.reread) for p in plans.values()),
                "pruned_files": sum(len(p.pruned) for p in plans.values()),
                "reread_rows": sum(int(r["n"]) for r in counts if not r[FROM_NEW]),
                "rejected_recorded": recorded,
                "reprocess": reprocess,
                "months_written": {n: sorted(p.months) for n, p in sorted(plans.items())},
                "pending_months": {n: sorted(_pending_after(n, p, months_of)) for n, p in sorted(plans.items())},
            }
        finally:
            new_df.unpersist()
            if staged_df is not None:
                staged_df.unpersist()
        manifest.extra["seconds"] = {s.name: s.seconds for s in run.steps}
    return manifest


def _pending_after(name: str, plan: SourcePlan, months_of: dict[tuple[str, str], set[str]]) -> set[str]:
    """Months of the source's files (ledgered or new) that are still not written after this run."""
    new_months = {m for f in plan.new for m in months_of.get((name, f.uri), set())}
    return (new_months | plan.pending) - plan.months


def _rows_recorded(spark: SparkSession, rejected_uri: str, run_id: str) -> int:
    """Rows of this run under ``rejected/job=ingest/`` (its own ``run_id=`` partitions only)."""
    job_uri = f"{rejected_uri}/job={JOB}"
    if not io.path_exists(spark, job_uri):
        return 0
    return io.read_dataset(spark, rejected_uri, schemas.REJECTED).where(
        (F.col("job") == JOB) & (F.col("run_id") == run_id)).count()


def _ledger_records(
    plans: dict[str, SourcePlan], months_of: dict[tuple[str, str], set[str]], run_id: str
) -> list[ledger.Record]:
    records = []
    for name, plan in sorted(plans.items()):
        for status in plan.new:
            months = months_of.get((name, status.uri), set())
            records.append(_record(name, status, run_id, "new", months, months & plan.months))
        for status, state in plan.reread:
            records.append(_record(name, status, run_id, "reread", state.months, state.months & plan.months))
    return records


def _record(source, status: io.FileStatus, run_id, origin, months, written) -> ledger.Record:
    return ledger.Record(
        source=source, uri=status.uri, size=status.size, mtime=status.mtime, etag=status.etag, run_id=run_id,
        origin=origin, months=tuple(sorted(months)), months_written=tuple(sorted(written)),
    )


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
