"""A simulated quarter: raw data arriving week by week, run through the scheduled job sequences (vocspark.schedule,
derived from deploy.definitions) for 13 weekly and 3 monthly cycles, with the operations invariants checked after
every cycle.

Lake: a local folder (the S3 server adds minutes to ~90 job runs; tests/integration/test_s3a_*.py cover S3A).
Warehouse: a real throwaway PostgreSQL. Data: the demo generator (seed 7: 300 reviews, 300 tweets, 600 comments over
Jan-Apr 2021, no generated malformed records so the files can be split by record), delivered as:

- history (before 2021-01-25) at once, ingested by one bootstrap ingest run before the quarter;
- then, before the weekly cycle as of Monday M, the records of [M - 7 days, M): reviews and comments as per-week
  files, tweets as the generator's Firehose files under their yyyy/MM/dd/HH prefixes;
- late tweets: a few tweet files of each week delivered one week late, under a prefix of their delivery day;
- one malformed file (broken JSON lines) in week 5, one duplicate delivery (a comments file again under a new
  name) in week 7.

Cycles (schedule.backfill_plan, 2021-02-01 .. 2021-04-26 with --monthly): monthly 02-01 trains the first versions
(champions by the first-version rule; the analyst then writes the topic mapping for it), monthly 03-01's topic
candidate has no mapping (gate fails, the champion stays), monthly 04-01's candidate gets its mapping (from the
planted truth, vocspark.demo.topic_quality) between training and promote (gate passes).

After every cycle: every run succeeded and reconciled; warehouse == lake for every loaded month / as-of day; every
malformed record rejected exactly once; each weekly ingest read exactly that week's new files; the champion moved
only through a passed gate. At the end, rerunning the last weekly cycle changes no lake dataset and no warehouse row.
"""
from __future__ import annotations

import collections
import csv
import datetime as dt
import glob
import io as stdio
import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from pyspark.sql import functions as F

from vocspark import config, schedule
from vocspark.demo import generator, topic_quality
from vocspark.jobs import ingest
from vocspark.models.registry import CHAMPION, ModelRegistry

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Qu4rter-Pa55-91ab"  # throwaway server
START, END = dt.date(2021, 2, 1), dt.date(2021, 4, 26)
HISTORY_END = dt.datetime(2021, 1, 25)
TOPIC, CLASSIFIER = "instagram", "product_category"
LATE_PER_WEEK = 3
MALFORMED_WEEK, DUPLICATE_WEEK = 5, 7
MALFORMED_LINES = ["{broken json 1", '{"id": "m2", "text": "pedido sin fecha", "created_at": "yesterday", '
                   '"author_id": "9", "lang": "es"}', '{"id": "m3"', "not json at all, pedido"]
VOLATILE = {"run_id", "loaded_at"}
CFG_OVERRIDES = {
    "topics.instagram.word2vec.vector_size": 16, "topics.instagram.word2vec.min_count": 2,
    "topics.instagram.kmeans.k": 4, "topics.instagram.kmeans.max_iter": 5,
    "topics.instagram.kmeans.train_sample_rows": 5000,
}
CLASSIFIER_FAST = {"features": {"kind": "tfidf", "tfidf": {"ngram": 1, "vocab_size": 2000, "min_df": 1}},
                   "model": {"max_iter": 20}, "tuning": {"method": "none"},
                   "promotion": {"min_test_documents": 5}}


# --------------------------------------------------------------------------- servers
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL on 127.0.0.1 (as tests/integration/test_warehouse.py starts it)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        pytest.skip("PostgreSQL server binaries not installed (/usr/lib/postgresql/*/bin): run `make system-deps`")
    bindir = Path(found[-1]).parent
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="vocspark-pg-quarter-"))
    if as_postgres:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_postgres, *cmd], check=True, capture_output=True, text=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-l", str(root / "server.log"), "start")
    try:
        psql = [str(bindir / "psql"), "-h", str(root), "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
        run(*psql, "-c", f"CREATE ROLE voc LOGIN PASSWORD '{PASSWORD}'")
        run(*psql, "-c", "CREATE DATABASE voc OWNER voc")
        yield {"url": f"jdbc:postgresql://127.0.0.1:{port}/voc", "user": "voc"}
    finally:
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- week-by-week delivery
def _week_of(moment: dt.datetime) -> int:
    """-1 for history (before HISTORY_END), else the index i of the weekly cycle (as of START + 7i) that receives it."""
    if moment < HISTORY_END:
        return -1
    return (moment - HISTORY_END).days // 7


def plan_deliveries(gen: Path) -> dict[int, list[tuple[str, bytes]]]:
    """week -> [(path under raw/, bytes)]: the generated records regrouped by arrival week (module docstring)."""
    out: dict[int, list[tuple[str, bytes]]] = collections.defaultdict(list)
    # reviews: one line per record (no generated malformed records), review_date last
    for path in sorted((gen / "amazon_reviews").glob("*.tsv")):
        header, *lines = path.read_bytes().decode("utf-8").rstrip("\n").split("\n")
        by_week: dict[int, list[str]] = collections.defaultdict(list)
        for line in lines:
            by_week[_week_of(dt.datetime.fromisoformat(line.rsplit("\t", 1)[1]))].append(line)
        for week, rows in by_week.items():
            name = f"amazon_reviews/{path.stem}.week{week + 1:02d}.tsv"
            out[week].append((name, ("\n".join([header, *rows]) + "\n").encode()))
    # comments: CSV records (quoted newlines), rewritten per week
    for path in sorted((gen / "instagram").glob("*.csv")):
        header, *records = list(csv.reader(stdio.StringIO(path.read_text(encoding="utf-8"), newline="")))
        by_week = collections.defaultdict(list)
        for record in records:
            by_week[_week_of(dt.datetime.fromisoformat(record[0]))].append(record)
        for week, rows in by_week.items():
            buf = stdio.StringIO(newline="")
            csv.writer(buf, lineterminator="\n").writerows([header, *rows])
            out[week].append((f"instagram/{path.stem}.week{week + 1:02d}.csv", buf.getvalue().encode()))
    # tweets: the Firehose files by their prefix hour; the first LATE_PER_WEEK of each week arrive a week late
    tweet_files = sorted(p for p in (gen / "tweets").rglob("*") if p.is_file())
    by_week_files = collections.defaultdict(list)
    for path in tweet_files:
        year, month, day, hour = path.relative_to(gen / "tweets").parts[:4]
        by_week_files[_week_of(dt.datetime(int(year), int(month), int(day), int(hour)))].append(path)
    last_week = max(by_week_files)
    for week, paths in sorted(by_week_files.items()):
        late = paths[:LATE_PER_WEEK] if 0 <= week < last_week else []
        for path in paths:
            if path in late:
                arrival = HISTORY_END + dt.timedelta(days=7 * (week + 1) + 2, hours=10)  # Wednesday of next week
                prefix = arrival.strftime("%Y/%m/%d/%H")
                out[week + 1].append((f"tweets/{prefix}/late-{path.name}", path.read_bytes()))
            else:
                out[week].append((path.relative_to(gen).as_posix(), path.read_bytes()))
    # one malformed file, one duplicate delivery
    arrival = HISTORY_END + dt.timedelta(days=7 * (MALFORMED_WEEK - 1) + 3, hours=5)
    out[MALFORMED_WEEK - 1].append((f"tweets/{arrival:%Y/%m/%d/%H}/voc-tweets-1-malformed",
                                    ("\n".join(MALFORMED_LINES) + "\n").encode()))
    name, body = next(item for item in out[DUPLICATE_WEEK - 2] if item[0].startswith("instagram/"))
    out[DUPLICATE_WEEK - 1].append((name.replace(".csv", ".redelivered.csv"), body))
    return out


def deliver(base: Path, files: list[tuple[str, bytes]]) -> set[str]:
    for rel, body in files:
        target = base / "raw" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return {f"raw/{rel}" for rel, _ in files}


# --------------------------------------------------------------------------- reading the lake and the warehouse
def manifest(base: Path, job: str, run_id: str) -> dict:
    return json.loads((base / "manifests" / job / f"{run_id}.json").read_text())


def _rel(uri: str, base: Path) -> str:
    path = uri.split("://", 1)[-1] if "://" in uri else uri
    return Path(path).resolve().relative_to(base.resolve()).as_posix()


def rows(df, drop=VOLATILE) -> list[tuple]:
    """Sorted rows (floats rounded to 9 digits: reruns compare within that tolerance), without ``drop`` columns."""
    cols = sorted(c for c in df.columns if c not in drop)
    out = []
    for row in df.select(*cols).collect():
        out.append(tuple(round(v, 9) if isinstance(v, float) else repr(v) for v in row))
    return sorted(out)


def lake_snapshot(spark, base: Path) -> dict[str, list]:
    names = ["documents", "documents_clean", "sentences", "predictions/topics", f"predictions/{CLASSIFIER}",
             "user_subjects", "rejected"]
    return {n: rows(spark.read.option("basePath", str(base / n)).parquet(str(base / n))) for n in names}


def warehouse_df(spark, cfg, table: str):
    wh = cfg["warehouse"]
    return (spark.read.format("jdbc").option("url", wh["url"]).option("user", wh["user"])
            .option("password", PASSWORD).option("dbtable", f'{wh["schema"]}.{wh["tables"][table]}')
            .option("driver", "org.postgresql.Driver").load())


PRED_KEY_LABELS = ["source", "doc_id", "label", "subject", "category", "category_name", "model_version", "month"]
SUBJECT_COLS = ["user_id", "as_of", "moda_30d", "moda_30d_count", "n_comments_30d", "n_assigned_30d"]


# --------------------------------------------------------------------------- the invariants
class Quarter:
    def __init__(self, spark, cfg, base: Path):
        self.spark, self.cfg, self.base = spark, cfg, base
        self.loaded_months: set[str] = set()
        self.loaded_days: set[str] = set()
        self.cycles: list[schedule.Cycle] = []
        self.registry = ModelRegistry.of(spark, cfg)

    def check_runs_succeeded(self, cycle: schedule.Cycle) -> None:
        for step in cycle.steps:
            body = manifest(self.base, step.job.replace("-monthly", ""), step.run_id)
            assert body["extra"].get("status") != "failed", (cycle.as_of, step.job, body["extra"].get("error"))
            assert body["reconciled"] is True, (cycle.as_of, step.job, body["counts"])
        failed = [p for p in (self.base / "manifests").rglob("*.json") if '"status": "failed"' in p.read_text()]
        assert not failed, failed

    def check_ingest_read_new_files(self, cycle: schedule.Cycle, delivered: set[str]) -> None:
        body = manifest(self.base, "ingest", cycle.run_ids()["ingest"])
        new_files = {_rel(f if isinstance(f, str) else f["uri"], self.base) for f in body["extra"]["ledger"]["new_files"]}
        assert new_files == delivered, (cycle.as_of, sorted(new_files ^ delivered)[:5])

    def check_warehouse_mirrors_lake(self, cycle: schedule.Cycle) -> None:
        body = manifest(self.base, "load_warehouse", cycle.run_ids()["load_warehouse"])
        wh = body["extra"]["warehouse"]
        self.loaded_months |= set(wh["predictions"]["slice"]["month"])
        self.loaded_days |= {str(d) for d in wh["user_subjects"]["slice"]["as_of"]}
        months = sorted(self.loaded_months)
        lake = self.spark.read.parquet(str(self.base / "predictions" / "topics")).where(F.col("month").isin(months))
        table = warehouse_df(self.spark, self.cfg, "predictions").where(F.col("month").isin(months))
        assert rows(lake.select(*PRED_KEY_LABELS)) == rows(table.select(*PRED_KEY_LABELS)), cycle.as_of
        days = sorted(self.loaded_days)
        lake_s = (self.spark.read.parquet(str(self.base / "user_subjects"))
                  .where(F.col("as_of").cast("string").isin(days)).select(*SUBJECT_COLS))
        table_s = (warehouse_df(self.spark, self.cfg, "user_subjects")
                   .where(F.col("as_of").cast("string").isin(days)).select(*SUBJECT_COLS))
        assert rows(lake_s) == rows(table_s), cycle.as_of
        assert lake.count() > 0 and lake_s.count() > 0

    def check_rejected_once(self, delivered_malformed: bool) -> None:
        counts = {}
        if (self.base / "rejected" / "job=ingest").is_dir():
            rejected = self.spark.read.parquet(str(self.base / "rejected")).where(F.col("job") == "ingest")
            counts = {(r["source"], r["raw"]): r["n"]
                      for r in rejected.groupBy("source", "raw").agg(F.count("*").alias("n")).collect()}
        twice = {k: n for k, n in counts.items() if n != 1}
        assert not twice, list(twice.items())[:3]
        planted = {("tweets", line) for line in MALFORMED_LINES}
        assert (planted <= set(counts)) == delivered_malformed, sorted(counts)[:5]

    def check_champions(self) -> None:
        """Every champion move in the registry's history is a first version or a promote decision that passed;
        every failed gate left the champion where it was."""
        decisions = []
        for path in sorted((self.base / "manifests" / "promote").glob("*.json")):
            decisions += json.loads(path.read_text())["extra"]["decisions"]
        promoted = {(d["model"], d["version"]) for d in decisions if d["decision"] == "promoted"}
        for d in decisions:
            if d["decision"] == "kept champion":
                assert d["aliases_after"][CHAMPION] == d["aliases_before"][CHAMPION], d
            if d["decision"] == "promoted":
                assert d["aliases_after"][CHAMPION] == d["version"], d
        for name in (TOPIC, CLASSIFIER):
            moves = [e for e in self.registry.history(name) if e.get("alias") == CHAMPION]
            first, *later = moves
            assert first["version"] == sorted(self.registry.versions(name))[0], first
            assert {(name, e["version"]) for e in later} <= promoted, (name, later)
            assert self.registry.alias(name, CHAMPION) == moves[-1]["version"]


def test_a_simulated_quarter_keeps_every_invariant(spark, small_plans, postgres, tmp_path, monkeypatch):
    t0 = time.monotonic()
    monkeypatch.setenv("VOCSPARK_WAREHOUSE_PASSWORD", PASSWORD)
    gen, base, art = tmp_path / "generated", tmp_path / "base", tmp_path / "artifacts"
    generator.generate(gen / "raw", base / "truth", reviews=300, tweets=300, comments=600, seed=7,
                       malformed_fraction=0.0, duplicate_fraction=0.01, start_date="2021-01-01", months=4, workers=1)
    deliveries = plan_deliveries(gen / "raw")
    cfg = config.load(ROOT / "conf" / "local.yaml", {
        "base_uri": str(base), "warehouse.url": postgres["url"], "warehouse.user": postgres["user"],
        "warehouse.write_partitions": 1, **CFG_OVERRIDES})
    # the deployed artifacts: conf/classifiers/<classifier>.yaml (fast settings) and, later, conf/topics/<model>.yaml
    ccfg = yaml.safe_load((ROOT / "conf" / "classifiers" / f"{CLASSIFIER}.yaml").read_text())
    for key, value in CLASSIFIER_FAST.items():
        ccfg[key] = {**ccfg.get(key, {}), **value}
    (art / "conf" / "classifiers").mkdir(parents=True)
    (art / "conf" / "topics").mkdir(parents=True)
    (art / "conf" / "classifiers" / f"{CLASSIFIER}.yaml").write_text(yaml.safe_dump(ccfg))
    mapping_path = art / "conf" / "topics" / f"{TOPIC}.yaml"

    def write_mapping(version: str) -> None:
        quality = topic_quality.evaluate(spark, cfg, TOPIC, version)
        shutil.copyfile(quality["demo_mapping"].split("://", 1)[-1], mapping_path)

    # before the quarter: the history, ingested once (the deployment's first load)
    deliver(base, deliveries.pop(-1))
    log.warning("quarter: data generated and planned in %.0fs", time.monotonic() - t0)
    history = ingest.run(spark, cfg, ingest.Options(run_id="history"))
    assert history.reconciled and history.written > 0
    quarter = Quarter(spark, cfg, base)
    plan = schedule.backfill_plan(cfg, START, END, monthly=True)
    assert [w for w, _ in plan].count(schedule.WEEKLY) == 13 and [w for w, _ in plan].count(schedule.MONTHLY) == 3
    week, monthly_seen, topic_versions = 0, 0, []
    timings = []
    for workflow, day in plan:
        t_cycle = time.monotonic()
        if workflow == schedule.WEEKLY:
            delivered = deliver(base, deliveries.pop(week, []))
            cycle = schedule.weekly_cycle(spark, cfg, day, artifacts=str(art))
            quarter.check_ingest_read_new_files(cycle, delivered)
            quarter.check_warehouse_mirrors_lake(cycle)
            week += 1
        else:
            monthly_seen += 1

            def before_promote(job, cycle, passing=monthly_seen == 3):
                if job == "promote" and passing:  # the analyst labels the new candidate (from the planted truth)
                    write_mapping(quarter.registry.alias(TOPIC, "candidate"))

            before = quarter.registry.aliases(TOPIC)
            cycle = schedule.monthly_cycle(spark, cfg, day, artifacts=str(art), before_step=before_promote)
            assert cycle.without_as_of == []  # every job of the cycle is date-exact
            after = quarter.registry.aliases(TOPIC)
            topic_versions.append(after["candidate"])
            decision = manifest(base, "promote", cycle.run_ids()["promote"])["extra"]["decisions"][0]
            if monthly_seen == 1:  # the first version is champion by the first-version rule; then it gets a mapping
                assert after["champion"] == after["candidate"] and decision["decision"] == "already champion"
                write_mapping(after["champion"])
            elif monthly_seen == 2:  # no mapping for the candidate: the gate fails, the champion stays
                assert decision["decision"] == "kept champion" and after["champion"] == before["champion"], decision
            else:
                assert decision["decision"] == "promoted" and after["champion"] == after["candidate"], decision
        quarter.cycles.append(cycle)
        quarter.check_runs_succeeded(cycle)
        quarter.check_rejected_once(delivered_malformed=week >= MALFORMED_WEEK)
        quarter.check_champions()
        timings.append((workflow, str(day), round(time.monotonic() - t_cycle, 1)))
        log.warning("quarter: %s %s done in %.1fs", workflow, day, timings[-1][2])
    # every delivery up to the last cycle was made; only records dated after it (arriving after the quarter) remain
    assert week == 13 and all(k >= week for k in deliveries), sorted(deliveries)
    assert len(set(topic_versions)) == 3

    # rerunning the last weekly cycle with its as-of changes nothing, in the lake or in the warehouse
    lake_before = lake_snapshot(spark, base)
    wh_before = [rows(warehouse_df(spark, cfg, t)) for t in ("predictions", "user_subjects")]
    rerun = schedule.weekly_cycle(spark, cfg, END, artifacts=str(art))
    quarter.check_runs_succeeded(rerun)
    assert manifest(base, "ingest", rerun.run_ids()["ingest"])["extra"]["ledger"]["new_files"] == []
    assert lake_snapshot(spark, base) == lake_before
    assert [rows(warehouse_df(spark, cfg, t)) for t in ("predictions", "user_subjects")] == wh_before
    log.warning("quarter: %d cycles + rerun in %.0fs: %s", len(plan), time.monotonic() - t0, timings)
