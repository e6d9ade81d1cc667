"""user_mode: the 30-day mode per user (ties, unassigned, window edges, skew, UTC), history and per-comment equal
to the single as-of, and the job end to end (manifest, partitions, rejects, rerun, missing and empty input)."""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import config, io, schemas
from vocspark.analytics import user_mode as um
from vocspark.jobs import user_mode as job

UTC = dt.timezone.utc
D = dt.date(2021, 7, 1)  # as-of day of most tests: window [2021-06-01 00:00, 2021-07-01 00:00) UTC
COMMENTS = T.StructType(
    [
        T.StructField("doc_id", T.StringType()),
        T.StructField("user_id", T.StringType()),
        T.StructField("created_at", T.TimestampType()),
        T.StructField("subject", T.StringType()),
    ]
)
RESULT = T.StructType(
    [
        T.StructField("user_id", T.StringType()),
        T.StructField("moda_30d", T.StringType()),
        T.StructField("moda_30d_count", T.LongType()),
        T.StructField("n_comments_30d", T.LongType()),
        T.StructField("n_assigned_30d", T.LongType()),
        T.StructField("as_of", T.DateType()),
    ]
)


pytestmark = pytest.mark.usefixtures("small_plans")  # tests/conftest.py: tiny plans, same logic


def at(day: dt.date, *hms: int, micro: int = 0) -> dt.datetime:
    """An aware UTC instant (Spark converts aware datetimes exactly, whatever the local or session zone)."""
    return dt.datetime(day.year, day.month, day.day, *hms, microsecond=micro, tzinfo=UTC)


def ago(days: int, *hms: int) -> dt.datetime:
    return at(D - dt.timedelta(days=days), *hms)


def comments(spark, rows) -> DataFrame:
    """Cached: the plans read their input several times, and a Python-side scan per read is slow."""
    return spark.createDataFrame([(f"c{i}", *r) for i, r in enumerate(rows)], COMMENTS).coalesce(1).cache()


def expected(spark, rows, as_of=D) -> DataFrame:
    return spark.createDataFrame([(*r, as_of) for r in rows], RESULT)


def assert_same(actual: DataFrame, expected_df: DataFrame) -> None:
    """chispa equality, rows in a fixed order without a global sort (a sort costs a sampling job per side)."""
    columns = sorted(actual.columns)

    def ordered(df: DataFrame) -> DataFrame:
        return df.select(*columns).coalesce(1).sortWithinPartitions(*columns)

    assert_df_equality(ordered(actual), ordered(expected_df), ignore_nullable=True)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def reference(rows, as_of: dt.date) -> dict[str, tuple]:
    """The rule in plain Python (an oracle independent of the Spark code): user -> (moda_30d, moda_30d_count,
    n_comments_30d, n_assigned_30d) for rows (user_id, created_at, subject) as of ``as_of``."""
    start, end = at(as_of - dt.timedelta(days=30)), at(as_of)
    per_user: dict[str, list] = {}
    for user, ts, subject in rows:
        if user is not None and ts is not None and start <= ts < end:
            per_user.setdefault(user, []).append((ts, subject))
    out = {}
    for user, seen in per_user.items():
        assigned = [(ts, s) for ts, s in seen if s is not None and s.strip().lower() not in ("", "unassigned")]
        counts = Counter(s for _, s in assigned)
        latest = {s: max(ts for ts, x in assigned if x == s) for s in counts}
        best = min(counts, key=lambda s: (-counts[s], EPOCH - latest[s], s)) if counts else None
        out[user] = (best, counts[best] if best else None, len(seen), len(assigned))
    return out


def by_user(rows, as_of: dt.date) -> dict[str, tuple]:
    return {r["user_id"]: tuple(r[k] for k in um.RESULT_COLUMNS) for r in rows if r["as_of"] == as_of}


# --------------------------------------------------------------------------- the mode as of one day
def test_mode_counts_and_unassigned_subjects_do_not_compete(spark):
    df = comments(spark, [
        ("a", ago(3), "delivery"), ("a", ago(4), "delivery"), ("a", ago(1), "refund"),
        ("a", ago(1, 5), None), ("a", ago(2), "unassigned"), ("a", ago(2, 1), " Unassigned "), ("a", ago(2, 2), ""),
        ("b", ago(5), None), ("b", ago(6), "unassigned"),  # active, but nothing assigned: written, mode null
        ("c", ago(40), "delivery"),  # nothing in the window: no row
        (None, ago(1), "delivery"),  # no user: ignored (the job rejects it)
        ("d", None, "refund"),  # no time: ignored
        ("d", ago(1), "preço ☺"),  # accents and emoji are plain subjects
    ])
    assert_same(
        um.user_subjects_as_of(df, D),
        expected(spark, [("a", "delivery", 2, 7, 3), ("b", None, None, 2, 0), ("d", "preço ☺", 1, 1, 1)]),
    )


def test_ties_go_to_the_most_recent_comment_then_alphabetical(spark):
    df = comments(spark, [
        # t1: 2 x 2; y's latest comment (1 day ago) is more recent than x's (3 days ago) -> y
        ("t1", ago(10), "x"), ("t1", ago(3), "x"), ("t1", ago(20), "y"), ("t1", ago(1), "y"),
        # t2: tied and both latest at the same instant -> alphabetical: "apple" before "zebra"
        ("t2", ago(5), "zebra"), ("t2", ago(2, 12), "zebra"), ("t2", ago(9), "apple"), ("t2", ago(2, 12), "apple"),
        # t3: the most recent comment is unassigned: it does not break the tie; x (4 days) beats y (6 days)
        ("t3", ago(4), "x"), ("t3", ago(6), "y"), ("t3", ago(1), None), ("t3", ago(1, 1), "unassigned"),
        # t4: count first: 3 old x beat 2 recent y
        ("t4", ago(29), "x"), ("t4", ago(28), "x"), ("t4", ago(27), "x"), ("t4", ago(1), "y"), ("t4", ago(2), "y"),
        # t5: a three-way tie, the latest of them wins even if it is alphabetically last
        ("t5", ago(3), "a"), ("t5", ago(2), "b"), ("t5", ago(1, 0, 0, 1), "c"),
        # t6: a tied subject's earlier comment outside the window does not count for it
        ("t6", ago(31), "x"), ("t6", ago(5), "x"), ("t6", ago(6), "y"),
    ])
    assert_same(
        um.user_subjects_as_of(df, D),
        expected(spark, [
            ("t1", "y", 2, 4, 4), ("t2", "apple", 2, 4, 4), ("t3", "x", 1, 4, 2), ("t4", "x", 3, 5, 5),
            ("t5", "c", 1, 3, 3), ("t6", "x", 1, 2, 2),
        ]),
    )


EDGE_ROWS = [
    ("start", at(dt.date(2021, 6, 1), 0, 0, 0), "edge"),  # exactly D - 30 days 00:00:00: IN
    ("start_minus_1s", at(dt.date(2021, 5, 31), 23, 59, 59), "edge"),  # D - 30 days - 1 s: OUT
    ("start_minus_1us", at(dt.date(2021, 5, 31), 23, 59, 59, micro=999_999), "edge"),  # OUT
    ("day_31", at(dt.date(2021, 5, 31), 12, 0, 0), "edge"),  # 31 days before: OUT
    ("end_minus_1us", at(dt.date(2021, 6, 30), 23, 59, 59, micro=999_999), "edge"),  # last instant: IN
    ("same_day", at(D, 0, 0, 0), "edge"),  # on D itself: OUT
    ("same_day_later", at(D, 10, 0, 0), "edge"),  # OUT
    ("brazil_evening", at(D, 2, 30, 0), "edge"),  # 2021-06-30 23:30 in Sao Paulo, still D in UTC: OUT
    ("utc_early", at(dt.date(2021, 6, 1), 1, 0, 0), "edge"),  # 2021-05-31 22:00 in Sao Paulo: IN
]


def test_window_edges_are_exact(spark):
    df = comments(spark, EDGE_ROWS)
    assert_same(
        um.user_subjects_as_of(df, D),
        expected(spark, [("start", "edge", 1, 1, 1), ("end_minus_1us", "edge", 1, 1, 1), ("utc_early", "edge", 1, 1, 1)]),
    )
    start, end = um.window_bounds(D)
    outcomes = {r["user_id"]: r[io.OUTCOME] for r in job.mark_outcomes(df, start, end).collect()}
    assert {u for u, o in outcomes.items() if o is None} == {"start", "end_minus_1us", "utc_early"}
    assert {o for o in outcomes.values() if o is not None} == {"filtered:outside_window"}


def test_a_skewed_user_with_many_comments(spark):
    n, span = 20_000, 45 * um.MICROS_PER_DAY  # spread over the 45 days before D: two thirds in the window
    first_us, step = um.day_start_micros(D) - span, span // n
    heavy = spark.range(n).select(
        F.concat(F.lit("h"), F.col("id").cast("string")).alias("doc_id"),
        F.lit("heavy").alias("user_id"),
        F.timestamp_micros(F.lit(first_us) + F.col("id") * step).alias("created_at"),
        F.when(F.col("id") % 10 < 3, "a").when(F.col("id") % 10 < 7, "b").when(F.col("id") % 10 < 9, "c").alias("subject"),
    )
    df = heavy.unionByName(comments(spark, [("light", ago(2), "a")]))
    start, end = um.window_bounds(D)
    kinds = [i % 10 for i in range(n) if start <= first_us + i * step < end]  # 0-2 a, 3-6 b, 7-8 c, 9 null
    n_b, n_assigned = sum(3 <= k <= 6 for k in kinds), sum(k <= 8 for k in kinds)
    assert n_b > sum(k <= 2 for k in kinds) and len(kinds) > 13_000
    assert_same(
        um.user_subjects_as_of(df, D),
        expected(spark, [("heavy", "b", n_b, len(kinds), n_assigned), ("light", "a", 1, 1, 1)]),
    )


# --------------------------------------------------------------------------- history and per comment
HISTORY_FROM, HISTORY_TO = dt.date(2021, 6, 25), dt.date(2021, 7, 8)
HISTORY_ROWS = [
    # u1 changes its mode inside the range: x early, y catches up and the x comments leave the window
    ("u1", at(dt.date(2021, 5, 27), 8), "x"), ("u1", at(dt.date(2021, 5, 28), 9), "x"),
    ("u1", at(dt.date(2021, 6, 20), 8), "y"), ("u1", at(dt.date(2021, 6, 29), 23, 59, 59), "y"),
    ("u1", at(dt.date(2021, 7, 3), 0, 0, 0), "y"), ("u1", at(dt.date(2021, 7, 3), 5), None),
    # u2 has one comment: in the window from 2021-06-07 through 2021-07-06, then its window is empty
    ("u2", at(dt.date(2021, 6, 6), 12), "z"),
    # u3 is quiet for a while, comes back later; unassigned only at first
    ("u3", at(dt.date(2021, 5, 20), 1), "x"), ("u3", at(dt.date(2021, 6, 26), 4), "unassigned"),
    ("u3", at(dt.date(2021, 7, 5), 6), "w"), ("u3", at(dt.date(2021, 7, 5), 6), "v"),
    # u4 has a tie decided by recency that flips when the recent one leaves
    ("u4", at(dt.date(2021, 5, 30), 0, 0, 0), "b"), ("u4", at(dt.date(2021, 6, 2), 3), "a"),
    ("u4", at(dt.date(2021, 6, 10), 3), "a"), ("u4", at(dt.date(2021, 6, 12), 3), "b"),
    # comments on and after the last day, and rows without user or time
    ("u5", at(HISTORY_TO, 1), "late"), ("u5", at(dt.date(2021, 8, 1)), "later"),
    (None, at(dt.date(2021, 6, 28)), "x"), ("u1", None, "x"),
] + [r for r in EDGE_ROWS]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _as_of_every_day(df: DataFrame, first: dt.date, last: dt.date) -> DataFrame:
    return functools.reduce(DataFrame.unionByName, [um.user_subjects_as_of(df, d) for d in _days(first, last)])


def test_history_and_per_comment_equal_the_single_as_of_for_each_day(spark):
    df = comments(spark, HISTORY_ROWS)
    by_day = _as_of_every_day(df, HISTORY_FROM, HISTORY_TO).cache()
    history = um.user_subjects_history(df, HISTORY_FROM, HISTORY_TO).cache()
    assert_same(history.drop("month"), by_day)
    rows = history.collect()
    assert all(r["month"] == r["as_of"].strftime("%Y-%m") for r in rows)
    for day in _days(HISTORY_FROM, HISTORY_TO):
        assert by_user(rows, day) == reference(HISTORY_ROWS, day), day
    # the walk-through of u1 and u2 spelled out, so the test fails on a shared mistake too
    got = {(r["user_id"], r["as_of"]): (r["moda_30d"], r["moda_30d_count"], r["n_comments_30d"]) for r in rows}
    assert got[("u1", dt.date(2021, 6, 26))] == ("x", 2, 3)  # x 5/27 + 5/28 in, y 6/20 in
    assert got[("u1", dt.date(2021, 6, 27))] == ("y", 1, 2)  # 5/27 left on 6/27: tie 1-1, y is more recent
    assert got[("u1", dt.date(2021, 6, 28))] == ("y", 1, 1)  # 5/28 left on 6/28
    assert got[("u1", dt.date(2021, 7, 4))] == ("y", 3, 4)
    assert got[("u2", dt.date(2021, 7, 6))] == ("z", 1, 1) and ("u2", dt.date(2021, 7, 7)) not in got

    # per comment: each comment of the range with its user's result as of the comment's UTC day
    day_results = {(r["user_id"], r["as_of"]): tuple(r[k] for k in um.RESULT_COLUMNS) for r in by_day.collect()}
    per_comment = um.user_subjects_per_comment(df, HISTORY_FROM, HISTORY_TO).collect()
    in_days = {f"c{i}" for i, r in enumerate(HISTORY_ROWS) if r[0] and r[1] and HISTORY_FROM <= r[1].date() <= HISTORY_TO}
    assert sorted(r["doc_id"] for r in per_comment) == sorted(in_days)
    for row in per_comment:
        assert row["as_of"] == HISTORY_ROWS[int(row["doc_id"][1:])][1].date()  # the comment's UTC day
        nothing = (None, None, 0, 0)  # no comment in the user's window that day
        assert tuple(row[k] for k in um.RESULT_COLUMNS) == day_results.get((row["user_id"], row["as_of"]), nothing), row
    assert {r["doc_id"]: r["n_comments_30d"] for r in per_comment}["c4"] == 2  # u1 on 7/3: 6/20 and 6/29; 7/3 is out


def test_results_are_utc_whatever_the_session_time_zone(spark):
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/Sao_Paulo")  # UTC-3: the edges fall on other days there
    try:
        df = comments(spark, HISTORY_ROWS)
        as_of_rows = um.user_subjects_as_of(df, D).collect()
        history_rows = um.user_subjects_history(df, HISTORY_FROM, HISTORY_TO).collect()
        start, end = um.window_bounds(D)
        kept = job.mark_outcomes(df, start, end).where(F.col(io.OUTCOME).isNull()).select("user_id").collect()
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)
    assert by_user(as_of_rows, D) == reference(HISTORY_ROWS, D)
    assert by_user(as_of_rows, D)["utc_early"] == ("edge", 1, 1, 1) and "brazil_evening" not in by_user(as_of_rows, D)
    for day in _days(HISTORY_FROM, HISTORY_TO):
        assert by_user(history_rows, day) == reference(HISTORY_ROWS, day), day
    assert {r["month"] for r in history_rows} == {"2021-06", "2021-07"}
    kept_users = {r["user_id"] for r in kept}
    assert {"start", "utc_early", "end_minus_1us"} <= kept_users and not {"brazil_evening", "same_day"} & kept_users


# --------------------------------------------------------------------------- arguments
def test_plan_run_modes_and_argument_errors():
    ns = argparse.Namespace
    assert job.plan_run(ns(as_of=None), today=D) == job.Plan("as_of", D, D, "user_subjects")
    assert job.plan_run(ns(as_of="2021-07-02")).date_from == dt.date(2021, 7, 2)
    history = job.plan_run(ns(history_from="2021-06-25", history_to="2021-07-08"))
    assert (history.mode, history.output) == ("history", "user_subjects_history")
    assert history.bounds == (um.day_start_micros(dt.date(2021, 5, 26)), um.day_start_micros(dt.date(2021, 7, 8)))
    assert history.months == ["2021-05", "2021-06", "2021-07"]
    assert job.plan_run(ns(as_of=None), today=dt.date(2021, 7, 31)).months == ["2021-06", "2021-07"]
    assert job.plan_run(ns(per_comment=True)).mode == "per_comment"
    with pytest.raises(ValueError, match="--history-to"):
        job.plan_run(ns(history_from="2021-06-25"))
    with pytest.raises(ValueError, match="after"):
        job.plan_run(ns(history_from="2021-07-25", history_to="2021-07-08"))
    with pytest.raises(ValueError, match="--as-of"):
        job.plan_run(ns(as_of="2021-07-01", per_comment=True))
    with pytest.raises(argparse.ArgumentTypeError, match="2021-13-01"):
        job.parse_date("2021-13-01")


# --------------------------------------------------------------------------- the job end to end
def make_cfg(base: Path) -> config.Config:
    return config.resolve({"profile": "local", "base_uri": str(base), "sources": {}}, root=base)


JOB_ROWS = HISTORY_ROWS + [("old", at(dt.date(2021, 1, 15)), "x")]  # a month the as-of run does not read


@pytest.fixture(scope="module")
def predictions_dir(spark, tmp_path_factory) -> Path:
    """JOB_ROWS as predictions/topics Parquet (month partitions, a null month for the row without time)."""
    base = tmp_path_factory.mktemp("predictions")
    full = [
        ("instagram", f"c{i}", user, ts, f"label{i % 3}", subject, "cat", "Category", [i % 4, 7], "instagram",
         "v1" if i % 2 else "v2", ts.strftime("%Y-%m") if ts else None)
        for i, (user, ts, subject) in enumerate(JOB_ROWS)
    ]
    # the contract, loosened where the job must reject (no user, no time) or tolerate (no month) a null
    read_side = schemas.nullable(schemas.PREDICTIONS_TOPICS, ["user_id", "created_at", "month"])
    df = spark.createDataFrame(full, read_side)
    io.write_partitioned(df, (base / "topics").as_uri(), ["month"])
    return base / "topics"


@pytest.fixture
def job_base(tmp_base, predictions_dir) -> Path:
    shutil.copytree(predictions_dir, tmp_base / "predictions" / "topics")
    return tmp_base


def run_job(spark, cfg, run_id, **kwargs):
    args = dict(as_of=None, history_from=None, history_to=None, per_comment=False, predictions="topics", run_id=run_id)
    return job.run(spark, cfg, argparse.Namespace(**{**args, **kwargs}))


def test_job_as_of_end_to_end_reconciles_and_reruns_the_same(spark, job_base):
    cfg = make_cfg(job_base)
    m1 = run_job(spark, cfg, "r1", as_of="2021-07-01")

    # months 2021-05..07 (one day of margin) + the null month; the January and August rows are not read
    assert m1.read == len(JOB_ROWS) - 2 and m1.reconciled
    assert m1.rejected == {"missing_user": 1, "missing_time": 1}
    in_window = [r for r in HISTORY_ROWS if r[0] and r[1] and at(dt.date(2021, 6, 1)) <= r[1] < at(D)]
    assert m1.written == len(in_window) == 10
    assert m1.filtered == {"outside_window": m1.read - 10 - 2}
    manifest = json.loads((job_base / "manifests" / "user_mode" / "r1.json").read_text())
    counts = manifest["counts"]
    assert counts["read"] == counts["written"] + sum(counts["rejected"].values()) + sum(counts["filtered"].values())
    users_in_window = {r[0] for r in in_window}
    assert manifest["reconciled"] is True and manifest["extra"]["users"] == len(users_in_window) == manifest["extra"]["rows"]
    assert manifest["extra"]["window"] == {"start": "2021-06-01T00:00:00+00:00", "end_excluded": "2021-07-01T00:00:00+00:00"}
    assert manifest["extra"]["model_versions"] == ["v1", "v2"]

    assert [s["name"] for s in manifest["extra"]["steps"]] == ["count_and_write", "read_back", "write_rejected"]
    assert manifest["extra"]["steps"][0]["rows"] == m1.read

    out_dir = job_base / "user_subjects"
    assert sorted(p.name for p in out_dir.glob("as_of=*")) == ["as_of=2021-07-01"]
    stored = spark.read.parquet(out_dir.as_uri()).schema  # as_of comes back from the path, as a date
    assert [(f.name, f.dataType) for f in stored.fields] == [(f.name, f.dataType) for f in schemas.USER_SUBJECTS.fields]
    before = io.read_dataset(spark, out_dir.as_uri()).collect()
    assert by_user(before, D) == reference(HISTORY_ROWS, D)

    rejected = io.read_dataset(spark, (job_base / "rejected").as_uri()).collect()
    assert {(r["job"], r["source"], r["reason"]) for r in rejected} == {
        ("user_mode", "predictions_topics", "missing_user"), ("user_mode", "predictions_topics", "missing_time")}
    raw = {r["reason"]: json.loads(r["raw"]) for r in rejected}
    assert raw["missing_user"]["created_at"].startswith("2021-06-28T00:00:00") and "user_id" not in raw["missing_user"]
    assert raw["missing_time"]["user_id"] == "u1" and raw["missing_time"]["cluster_ids"][1] == 7
    assert raw["missing_time"]["source"] == "instagram"  # the prediction's own source stays in the row

    m2 = run_job(spark, cfg, "r2", as_of="2021-07-01")
    assert (m2.read, m2.written, m2.rejected, m2.filtered) == (m1.read, m1.written, m1.rejected, m1.filtered)
    assert sorted(io.read_dataset(spark, out_dir.as_uri()).collect(), key=str) == sorted(before, key=str)
    assert len(io.read_dataset(spark, (job_base / "rejected").as_uri()).collect()) == 2


@pytest.mark.integration  # a whole job run end to end: integration tier (make test), not make test-fast
def test_job_history_and_per_comment_end_to_end(spark, job_base):
    cfg = make_cfg(job_base)
    m = run_job(spark, cfg, "h1", history_from=HISTORY_FROM.isoformat(), history_to=HISTORY_TO.isoformat())
    assert m.reconciled and m.rejected == {"missing_user": 1, "missing_time": 1}
    counted = [r for r in HISTORY_ROWS if r[0] and r[1] and at(dt.date(2021, 5, 26)) <= r[1] < at(HISTORY_TO)]
    assert m.written == len(counted)
    out_dir = job_base / "user_subjects_history"
    days = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.glob("month=*/as_of=*"))
    assert days[0] == "month=2021-06/as_of=2021-06-25" and days[-1] == "month=2021-07/as_of=2021-07-08"
    assert len(days) == 14 and m.extra["days_written"] == 14
    history = io.read_dataset(spark, out_dir.as_uri()).collect()
    assert m.extra["rows"] == len(history) and m.extra["users"] == len({r["user_id"] for r in history})
    for day in (HISTORY_FROM, D, HISTORY_TO):
        assert by_user(history, day) == reference(HISTORY_ROWS, day), day

    # a backfill of two days replaces those days and leaves the rest of their month as it was
    m2 = run_job(spark, cfg, "h2", history_from="2021-07-02", history_to="2021-07-03")
    assert m2.extra["days_written"] == 2 and m2.extra["rows"] < m.extra["rows"]
    after = io.read_dataset(spark, out_dir.as_uri()).collect()
    assert sorted(after, key=str) == sorted(history, key=str)

    # per comment, without a range: every comment of the input, each with its user's result as of its day
    pc = run_job(spark, cfg, "p1", per_comment=True)
    in_input = {f"c{i}": r for i, r in enumerate(JOB_ROWS) if r[0] and r[1]}
    assert pc.reconciled and pc.filtered == {} and pc.extra["months_read"] is None
    assert (pc.read, pc.written, pc.extra["rows"]) == (len(JOB_ROWS), len(in_input), len(in_input))
    per_comment = io.read_dataset(spark, (job_base / "user_subjects_per_comment").as_uri()).collect()
    assert sorted(r["doc_id"] for r in per_comment) == sorted(in_input)
    for row in per_comment:
        day = in_input[row["doc_id"]][1].date()
        expected_row = reference(JOB_ROWS, day).get(row["user_id"], (None, None, 0, 0))
        assert (row["as_of"], tuple(row[k] for k in um.RESULT_COLUMNS)) == (day, expected_row), row


def test_missing_input_fails_before_any_write_naming_the_path(spark, tmp_base):
    with pytest.raises(io.MissingInputError, match=r"predictions\.topics.*predictions/topics"):
        run_job(spark, make_cfg(tmp_base), "x", as_of="2021-07-01")
    assert not any(tmp_base.iterdir())


def test_empty_input_succeeds_with_zero_rows_and_a_manifest(spark, tmp_base):
    (tmp_base / "predictions" / "topics").mkdir(parents=True)
    # partitions an earlier run left for these days: a rerun that finds nobody must not keep them
    stale_as_of = tmp_base / "user_subjects" / "as_of=2021-07-01"
    stale_day = tmp_base / "user_subjects_history" / "month=2021-06" / "as_of=2021-06-02"
    kept_day = tmp_base / "user_subjects_history" / "month=2021-06" / "as_of=2021-06-04"
    for folder in (stale_as_of, stale_day, kept_day):
        folder.mkdir(parents=True)
        (folder / "part-00000.parquet").write_text("from an earlier run")
    cfg = make_cfg(tmp_base)
    m = run_job(spark, cfg, "empty", as_of="2021-07-01")
    assert (m.read, m.written, m.rejected, m.filtered, m.extra["users"]) == (0, 0, {}, {}, 0)
    manifest = json.loads((tmp_base / "manifests" / "user_mode" / "empty.json").read_text())
    assert manifest["counts"]["read"] == 0 and manifest["reconciled"] is True
    assert not stale_as_of.exists() and manifest["extra"]["stale_partitions_removed"][0].endswith("as_of=2021-07-01")
    h = run_job(spark, cfg, "empty-h", history_from="2021-06-01", history_to="2021-06-03")
    assert (h.read, h.extra["rows"]) == (0, 0) and h.reconciled
    assert not stale_day.exists() and kept_day.exists()  # only the run's days are replaced
