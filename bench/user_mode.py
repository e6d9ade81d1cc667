"""Benchmark of the ``user_mode`` job against the naive approach (a per-row ``rangeBetween`` window), same data.

    .venv/bin/python bench/user_mode.py --comments 10000000 --users 1000000 [--skew 2.0] [--skip-naive]

1. Generates ``--comments`` topic predictions for ``--users`` users with Spark built-in functions only and a
   fixed seed (hash-based draws, so the rows do not depend on partitioning): user index
   ``floor(users * u ** skew)`` for a uniform ``u`` (Zipf-like: with skew 2 and 1M users the top user has about
   1/1000 of the comments, the next ones 1/2400, 1/3200, ...), instants uniform to the second over the 60 days
   before the as-of day plus one day after it, subjects from 40 topics (half of a user's comments on a
   per-user favourite, the rest skewed), 8% null and 4% ``unassigned``, and a few rows without user or time.
   Written as ``predictions/topics/month=yyyy-MM/`` Parquet in ``--work`` (kept between runs with the same
   parameters).
2. Job, as of ``--as-of`` (default 2021-07-01): ``vocspark.jobs.user_mode.run`` end to end (read, outcome
   counts, mode, partitioned write, read-back counts, rejected rows, manifest).
3. Naive, as of the same day, as a first version would be written: a marker row per user at the as-of instant,
   ``collect_list(struct(ts, subject))`` over ``Window.partitionBy(user).orderBy(ts).rangeBetween(-30 d, -1 s)``
   on every row (the comments' own rolling windows included), a Python UDF computing the mode per row with the
   same tie rules, the marker rows kept and written. It reads the same month partitions as the job. Its
   result is compared with the job's (outside the timings) and must be identical.
4. Job, history over the 30 days ending on the as-of day (``--history-days``).

Before the timings, the job and the naive approach run once, untimed, on ``--warmup-comments`` comments, so that
neither pays the JVM's just-in-time compilation and Spark's code generation in its figure.

Prints rows read, seconds, rows/s and rows/s per core for each, then LAST ``ratio: <naive s / job s>`` (as of);
writes ``bench/results/user_mode-<comments>.json`` and ``.md``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

from pyspark.sql import Column, DataFrame, SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

from vocspark import config as config_mod  # noqa: E402
from vocspark import io  # noqa: E402
from vocspark.analytics import user_mode as um  # noqa: E402
from vocspark.jobs import user_mode as job  # noqa: E402
from vocspark.session import build_session  # noqa: E402

RESULTS = ROOT / "bench" / "results"
N_SUBJECTS = 40
SPAN_DAYS = 60


# ------------------------------------------------------------------------------------------ data
def uniform(salt: int, seed: int) -> Column:
    """A uniform double in [0, 1) from a hash of (id, salt, seed): deterministic whatever the partitioning."""
    bits = F.pmod(F.xxhash64(F.col("id"), F.lit(salt), F.lit(seed)), F.lit(1 << 53))
    return bits.cast("double") / float(1 << 53)


def generate_predictions(spark: SparkSession, comments: int, users: int, skew: float, as_of: dt.date, seed: int) -> DataFrame:
    first_second = (um.day_number(as_of) - SPAN_DAYS) * 86_400
    span_seconds = (SPAN_DAYS + 1) * 86_400  # the last day is the as-of day itself: outside every window
    user_idx = F.floor(F.lit(users) * F.pow(uniform(1, seed), F.lit(skew))).cast("long")
    favourite = F.pmod(F.xxhash64(user_idx, F.lit(seed)), F.lit(N_SUBJECTS))
    skewed_topic = F.floor(F.lit(N_SUBJECTS) * F.pow(uniform(2, seed), F.lit(2.0))).cast("long")
    pick = uniform(3, seed)
    topic = F.when(pick < 0.5, favourite).otherwise(skewed_topic)
    subject = (
        F.when(pick >= 0.96, F.lit("unassigned"))
        .when(pick >= 0.88, F.lit(None).cast("string"))
        .otherwise(F.format_string("topic_%02d", topic))
    )
    created_at = F.timestamp_seconds(F.lit(first_second) + F.floor(uniform(4, seed) * span_seconds).cast("long"))
    odd = uniform(5, seed)
    df = spark.range(0, comments, 1, numPartitions=max(2, comments // 1_000_000)).select(
        F.concat(F.lit("d"), F.col("id").cast("string")).alias("doc_id"),
        F.when(odd >= 0.0001, F.concat(F.lit("u"), user_idx.cast("string"))).alias("user_id"),
        F.when((odd < 0.0001) | (odd >= 0.0002), created_at).alias("created_at"),
        F.when(subject.isNull(), None).otherwise(F.concat(F.lit("label "), subject)).alias("label"),
        subject.alias("subject"),
        F.when(subject.isNull() | (subject == "unassigned"), None).otherwise(F.lit("service")).alias("category"),
        F.array(topic.cast("int"), (topic + 7).cast("int")).alias("cluster_ids"),
        F.lit("bench-v1").alias("model_version"),
    )
    return df.withColumn("month", F.date_format(F.col("created_at"), "yyyy-MM"))


def ensure_predictions(spark: SparkSession, cfg: config_mod.Config, params: dict, regenerate: bool) -> float:
    """Write the predictions unless the same parameters were generated before; seconds spent (0 = reused)."""
    uri = cfg.uri("predictions", "topics")
    stamp = config_mod.local_path(cfg.base_uri) / "predictions.json"
    if not regenerate and stamp.exists() and json.loads(stamp.read_text()) == params:
        return 0.0
    path = config_mod.local_path(uri)
    if path.exists():
        shutil.rmtree(path)
    t0 = time.monotonic()
    df = generate_predictions(spark, params["comments"], params["users"], params["skew"],
                              dt.date.fromisoformat(params["as_of"]), params["seed"])
    io.write_partitioned(df, uri, ["month"], files_per_partition=max(1, params["comments"] // 2_000_000))
    stamp.write_text(json.dumps(params))
    return time.monotonic() - t0


# ------------------------------------------------------------------------------------------ naive
NAIVE_RESULT = T.StructType(
    [
        T.StructField("moda_30d", T.StringType()),
        T.StructField("moda_30d_count", T.LongType()),
        T.StructField("n_comments_30d", T.LongType()),
        T.StructField("n_assigned_30d", T.LongType()),
    ]
)


def naive_as_of(spark: SparkSession, predictions_uri: str, months: list[str], as_of: dt.date, out_uri: str) -> None:
    """The first version: a rolling window of raw rows per user and a Python mode per row."""
    as_of_second = um.day_number(as_of) * 86_400

    @F.udf(returnType=NAIVE_RESULT)
    def mode_of(recent):
        counts, latest, assigned = {}, {}, 0
        for ts, subject in recent:
            if subject is None or subject.strip().lower() in ("", "unassigned"):
                continue
            assigned += 1
            counts[subject] = counts.get(subject, 0) + 1
            latest[subject] = max(latest.get(subject, ts), ts)
        if not counts:
            return (None, None, len(recent), 0)
        best = min(counts, key=lambda s: (-counts[s], -latest[s], s))  # count, latest comment, alphabetical
        return (best, counts[best], len(recent), assigned)

    comments = (
        job.read_predictions(spark, predictions_uri, months)
        .where(F.col("user_id").isNotNull() & F.col("created_at").isNotNull())
        .select(F.col("user_id"), F.col("created_at").cast("long").alias("ts"), F.col("subject"), F.lit(False).alias("is_marker"))
        .where(F.col("ts") < as_of_second)
    )
    markers = comments.select("user_id").distinct().select(
        F.col("user_id"), F.lit(as_of_second).cast("long").alias("ts"), F.lit(None).cast("string").alias("subject"),
        F.lit(True).alias("is_marker"),
    )
    last_30_days = Window.partitionBy("user_id").orderBy("ts").rangeBetween(-30 * 86_400, -1)
    per_row = comments.unionByName(markers).withColumn(
        "recent", F.collect_list(F.struct("ts", "subject")).over(last_30_days)
    )
    per_row = per_row.withColumn("mode", mode_of(F.col("recent")))
    result = per_row.where(F.col("is_marker") & (F.col("mode.n_comments_30d") > 0)).select(
        "user_id", "mode.*", F.lit(as_of).alias("as_of")
    )
    result.write.mode("overwrite").parquet(out_uri)


def differences(spark: SparkSession, job_uri: str, naive_uri: str, as_of: dt.date) -> tuple[int, int]:
    """(users compared, rows that differ) between the job's and the naive output."""
    a = io.read_dataset(spark, job_uri).where(F.col("as_of") == as_of).drop("as_of").alias("a")
    b = spark.read.parquet(naive_uri).drop("as_of").alias("b")
    same = F.lit(True)
    for col in um.RESULT_COLUMNS:
        same = same & F.col(f"a.{col}").eqNullSafe(F.col(f"b.{col}"))
    joined = a.join(b, on="user_id", how="full_outer")
    row = joined.agg(F.count(F.lit(1)).alias("n"), F.sum(F.when(same, 0).otherwise(1)).alias("bad")).first()
    return int(row["n"]), int(row["bad"] or 0)


# ------------------------------------------------------------------------------------------ timing
def process_tree_cpu(root_pid: int) -> float | None:
    """CPU seconds (user + system, reaped children included) of a process and its live descendants: the JVM and
    its Python workers. Less sensitive than wall time to other work on a shared machine. None off Linux."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry)] = int(fields[1])
                times[int(entry)] = sum(int(f) for f in fields[11:15]) / ticks
    except OSError:
        return None
    if root_pid not in times:
        return None
    total, stack = 0.0, [root_pid]
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    while stack:
        pid = stack.pop()
        total += times.get(pid, 0.0)
        stack.extend(children.get(pid, []))
    return total


class Timer:
    """Wall and CPU seconds of the Spark processes for one timed run."""

    def __init__(self, jvm_pid: int | None):
        self.jvm_pid = jvm_pid

    def __enter__(self):
        self.t0, self.c0 = time.monotonic(), process_tree_cpu(self.jvm_pid) if self.jvm_pid else None
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.t0
        c1 = process_tree_cpu(self.jvm_pid) if self.jvm_pid else None
        self.cpu = round(c1 - self.c0, 1) if c1 is not None and self.c0 is not None else None
        return False


# ------------------------------------------------------------------------------------------ main
def warm_up(spark: SparkSession, args: argparse.Namespace, run_tag: str) -> float:
    """Run the job and the naive approach once on a small dataset so neither timing pays the JVM's warm-up."""
    t0 = time.monotonic()
    work = Path(args.work) / "warmup"
    cfg = config_mod.load(args.config, {"base_uri": str(work)})
    params = {"comments": args.warmup_comments, "users": max(1, args.warmup_comments // 10), "skew": args.skew,
              "as_of": args.as_of.isoformat(), "seed": args.seed}
    work.mkdir(parents=True, exist_ok=True)
    ensure_predictions(spark, cfg, params, regenerate=False)
    job.run(spark, cfg, job_args(f"warmup-{run_tag}", as_of=args.as_of))
    if not args.skip_naive:
        plan = job.plan_run(job_args("x", as_of=args.as_of))
        naive_as_of(spark, cfg.uri("predictions", "topics"), plan.months, args.as_of, cfg.uri("bench_naive_user_subjects"))
    return time.monotonic() - t0


def job_args(run_id: str, **kwargs) -> argparse.Namespace:
    base = dict(as_of=None, history_from=None, history_to=None, per_comment=False, predictions="topics", run_id=run_id)
    return argparse.Namespace(**{**base, **kwargs})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=None, help="default: comments / 10")
    parser.add_argument("--skew", type=float, default=2.0, help="user index = users * u**skew (1 = uniform)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2021, 7, 1))
    parser.add_argument("--history-days", type=int, default=30, help="history mode over this many days (0 = skip)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--config", default=str(ROOT / "conf" / "local.yaml"))
    parser.add_argument("--work", default="/tmp/vocspark-bench-user-mode", help="folder for data and outputs")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="time job and naive this many times each (best counts)")
    parser.add_argument("--warmup-comments", type=int, default=50_000, help="untimed warm-up run size (0 = none)")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    users = args.users or max(1, args.comments // 10)

    work = Path(args.work) / f"comments-{args.comments}-users-{users}"
    work.mkdir(parents=True, exist_ok=True)
    overrides = dict(config_mod.parse_override(o) for o in args.overrides)
    overrides["base_uri"] = str(work)
    cfg = config_mod.load(args.config, overrides)
    spark = build_session(cfg, app_name="vocspark-bench-user-mode")
    spark.sparkContext.setLogLevel("ERROR")
    cores = spark.sparkContext.defaultParallelism or os.cpu_count() or 1
    load_before = os.getloadavg()[0]

    params = {"comments": args.comments, "users": users, "skew": args.skew, "as_of": args.as_of.isoformat(), "seed": args.seed}
    gen_seconds = ensure_predictions(spark, cfg, params, args.regenerate)
    if gen_seconds:
        print(f"generated {args.comments:,} comments for {users:,} users in {gen_seconds:.1f}s", flush=True)
    predictions_uri = cfg.uri("predictions", "topics")
    top = (
        io.read_dataset(spark, predictions_uri).groupBy("user_id").count().orderBy(F.col("count").desc()).limit(3).collect()
    )
    print("top users: " + ", ".join(f"{r['user_id']} {r['count']:,}" for r in top), flush=True)

    results: dict[str, dict] = {}
    jvm_pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())

    def record(name: str, rows: int, timer: Timer, **extra) -> None:
        seconds = timer.seconds
        entry = results.setdefault(name, {"rows": rows, "runs": []})
        entry["runs"].append({"seconds": round(seconds, 2), "cpu_seconds": timer.cpu})
        best = min(entry["runs"], key=lambda r: r["seconds"])
        entry.update(seconds=best["seconds"], cpu_seconds=best["cpu_seconds"], rows_per_s=round(rows / best["seconds"], 1),
                     rows_per_s_per_core=round(rows / best["seconds"] / cores, 1), **extra)
        print(f"{name}: rows {rows:,}, seconds {seconds:.1f}, rows/s {rows / seconds:,.0f}, "
              f"rows/s per core {rows / seconds / cores:,.0f}, cpu seconds {timer.cpu}", flush=True)

    run_tag = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    if args.warmup_comments:
        warm_seconds = warm_up(spark, args, run_tag)
        print(f"warm-up (JIT and code generation, {args.warmup_comments:,} comments, untimed): {warm_seconds:.1f}s", flush=True)
    plan = job.plan_run(job_args("x", as_of=args.as_of))
    naive_uri = cfg.uri("bench_naive_user_subjects")
    for rep in range(args.repeat):  # job and naive alternate; the best run of each counts
        with Timer(jvm_pid) as timer:
            manifest = job.run(spark, cfg, job_args(f"bench-asof-{run_tag}-{rep}", as_of=args.as_of))
        record("job[as_of]", manifest.read, timer, written=manifest.written, users=manifest.extra["users"],
               filtered=manifest.filtered, rejected=manifest.rejected, steps=manifest.extra["seconds"])
        if not args.skip_naive:
            with Timer(jvm_pid) as timer:
                naive_as_of(spark, predictions_uri, plan.months, args.as_of, naive_uri)
            record("naive[as_of]", manifest.read, timer)
    if not args.skip_naive:
        compared, bad = differences(spark, cfg.uri("user_subjects"), naive_uri, args.as_of)
        results["naive[as_of]"].update(users_compared=compared, differences=bad)
        print(f"check: job and naive agree on {compared - bad:,} of {compared:,} users", flush=True)
        if bad:
            print(f"ERROR: {bad} users differ between the job and the naive approach", flush=True)

    if args.history_days > 0:
        first = args.as_of - dt.timedelta(days=args.history_days - 1)
        with Timer(jvm_pid) as timer:
            hist = job.run(spark, cfg, job_args(f"bench-history-{run_tag}", history_from=first, history_to=args.as_of))
        record(f"job[history {args.history_days} days]", hist.read, timer, written=hist.written,
               output_rows=hist.extra["rows"], users=hist.extra["users"], days=hist.extra["days_written"],
               steps=hist.extra["seconds"])

    has_naive = "naive[as_of]" in results
    ratio = results["naive[as_of]"]["seconds"] / results["job[as_of]"]["seconds"] if has_naive else None
    cpus = (results["naive[as_of]"]["cpu_seconds"], results["job[as_of]"]["cpu_seconds"]) if has_naive else (None, None)
    cpu_ratio = cpus[0] / cpus[1] if None not in cpus and cpus[1] else None
    if cpu_ratio is not None:
        print(f"cpu ratio (naive cpu seconds / job cpu seconds, Spark processes): {cpu_ratio:.2f}", flush=True)
    report = {
        "comments": args.comments, "users": users, "skew": args.skew, "as_of": args.as_of.isoformat(),
        "cores": cores, "spark": spark.version, "load_average_at_start": round(load_before, 2),
        "top_users": {r["user_id"]: r["count"] for r in top},
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "repeat": args.repeat, "results": results, "ratio": round(ratio, 2) if ratio is not None else None,
        "cpu_ratio": round(cpu_ratio, 2) if cpu_ratio is not None else None,
    }
    write_results(report)
    spark.stop()
    print(f"ratio: {ratio:.2f}" if ratio is not None else "ratio: n/a (naive skipped)")
    return 0


def write_results(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"user_mode-{report['comments']}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# user_mode benchmark, {report['comments']:,} comments, {report['users']:,} users (skew {report['skew']})",
        "",
        f"{report['date']}, Spark {report['spark']}, {report['cores']} cores, load average at start "
        f"{report['load_average_at_start']}, as of {report['as_of']}; ratio (naive seconds / job seconds, as of): "
        f"**{report['ratio']}** (CPU seconds of the Spark processes: {report['cpu_ratio']})",
        "",
        "| run | rows read | seconds (best) | rows/s | rows/s per core | CPU seconds | all runs (s) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in report["results"].items():
        runs = ", ".join(f"{run['seconds']:.1f}" for run in r["runs"])
        lines.append(f"| {name} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | "
                     f"{r['rows_per_s_per_core']:,.0f} | {r['cpu_seconds']} | {runs} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
