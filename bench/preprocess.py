"""Benchmark of the ``preprocess`` job against the seed-style baseline (Python row UDFs), on the same data.

    .venv/bin/python bench/preprocess.py --rows 1000000 [--engines arrow,sql,sparknlp] [--profile-steps]

1. Generates ``--rows`` English reviews as ``documents`` Parquet (partitioned by source/month, 12 months) in
   ``--work`` with Spark built-in functions only: each review is 4 to 8 sentences drawn by hash from a pool
   built from a vocabulary (so ~300-600 characters), with ``<br />`` breaks, URLs, @mentions, emoji, numbers
   and ``&#34;`` entities sprinkled in. The data is kept between runs (same rows and seed = reused).
2. Runs the project's job end to end, ``vocspark.jobs.preprocess.run`` (read, clean, tokenise, stopwords,
   sentence split, month kept from ingest, partitioned Parquet write of documents_clean + sentences, count,
   manifest), once per engine.
3. Runs the baseline as the original AWS Glue notebook did it: ``F.udf`` Python functions for cleaning and for
   tokenising + stopwords, a Python ``strftime`` UDF for the month, written partitioned by month.
4. Prints rows, seconds and rows/s per core for each, then LAST ``ratio: <project / baseline>`` where both are
   throughputs (rows/s) and the project is the default engine (``preprocess.engine`` of the config); writes
   ``bench/results/preprocess-<rows>.json`` and ``.md``.

``--profile-steps`` adds a step-by-step profile (read, count, each engine's features with no write, sentence
rows, the writes with and without the shuffle before them, persist versus recompute, Arrow batch sizes,
spark-nlp versus built-ins for sentence splitting and normalising) printed before the summary and saved in
the JSON.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

from vocspark import config as config_mod  # noqa: E402
from vocspark import io, schemas  # noqa: E402
from vocspark.jobs import preprocess as job  # noqa: E402
from vocspark.session import build_session  # noqa: E402
from vocspark.text import columns as C  # noqa: E402
from vocspark.text import engines  # noqa: E402
from vocspark.text.options import ENGINES, TextOptions  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SOURCE = "amazon_reviews"
MONTHS = 12
START = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)

# ------------------------------------------------------------------------------------------ CPU accounting
_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float, float, float] | None:
    """(ppid, own cpu seconds, cpu seconds of reaped children, start time) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    own = (int(fields[11]) + int(fields[12])) / _TICK
    return int(fields[1]), own, (int(fields[13]) + int(fields[14])) / _TICK, float(fields[19])


class CpuSampler(threading.Thread):
    """Samples, every ``interval`` seconds, the CPU seconds of the Spark JVM and every process below it (the
    Python daemon and workers), remembering the last value seen per process: a worker that exits keeps its
    time. Robust to other processes on a shared machine, unlike wall time."""

    def __init__(self, root_pid: int | None, interval: float = 0.25):
        super().__init__(daemon=True)
        self.root_pid, self.interval = root_pid, interval
        self.last: dict[tuple[int, float], float] = {}  # (pid, start time) -> cpu seconds
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def sample(self) -> None:
        if self.root_pid is None:
            return
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                stat = _proc_stat(int(entry.name))
                if stat is not None:
                    stats[int(entry.name)] = stat
        todo, seen = [self.root_pid], {}
        while todo:
            pid = todo.pop()
            if pid in stats:
                seen[(pid, stats[pid][3])] = stats[pid][1]
                todo.extend(child for child, st in stats.items() if st[0] == pid)
        with self.lock:
            self.last.update(seen)

    def total(self) -> float:
        """CPU seconds of the live process tree below the JVM: each process's own time plus the time of its
        children that have exited and been reaped (a Python worker that exits is reaped by the daemon, whose
        ``cutime`` then holds it), so nothing is counted twice and nothing is lost."""
        if self.root_pid is None:
            return float("nan")
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                stat = _proc_stat(int(entry.name))
                if stat is not None:
                    stats[int(entry.name)] = stat
        total, todo = 0.0, [self.root_pid]
        while todo:
            pid = todo.pop()
            if pid in stats:
                total += stats[pid][1] + stats[pid][2]
                todo.extend(child for child, st in stats.items() if st[0] == pid)
        return total

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()


SAMPLER: CpuSampler | None = None


def spark_cpu_seconds() -> float:
    return SAMPLER.total() if SAMPLER is not None and SAMPLER.root_pid is not None else float("nan")


def jvm_pid(spark: SparkSession) -> int | None:
    try:
        return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    except Exception:  # noqa: BLE001 - only for the report
        return None


# ------------------------------------------------------------------------------------------ review text
PRODUCTS = (
    "headphones blender charger keyboard mouse monitor laptop stand backpack kettle toaster speaker router "
    "camera tripod lamp vacuum cleaner phone case watch band coffee maker water bottle desk chair mattress "
    "pillow blanket jacket sneakers jeans shirt dress towel pan knife set cutting board drill battery pack "
    "printer ink cartridge tablet cover game controller microphone webcam cable adapter fan heater"
).split()
ADJ = (
    "great terrible amazing awful decent solid flimsy sturdy cheap expensive comfortable noisy quiet bright "
    "dim reliable useless perfect disappointing excellent mediocre fantastic poor durable fragile lightweight "
    "heavy elegant ugly beautiful broken defective smooth rough soft hard fast slow"
).split()
ADV = "really very quite extremely pretty totally absolutely surprisingly incredibly barely".split()
VERBS = (
    "works stopped working arrived broke failed charges fits looks feels sounds heats cleans lasted died "
    "leaks cracked"
).split()
SERVICE = (
    "The delivery took {n} days and the box was damaged",
    "Customer service never answered my emails about the refund",
    "I asked for a replacement and they sent the wrong color",
    "Shipping was fast and the package arrived two days early",
    "The seller refunded me without any questions",
    "Support told me to wait another week for the replacement",
    "I had to return it twice before getting one that works",
    "The instructions were missing so I watched a video online",
    "It came with a cheap cable that stopped charging after {n} weeks",
    "My order was delayed and nobody could tell me where it was",
    "The price dropped by ${n} right after I bought it",
    "I gave it {n} stars because the battery dies too quickly",
)
OPINIONS = (
    "The {p} is {adv} {adj}",
    "This {p} {verb} after {n} days",
    "I bought this {p} for my {rel} and {rel_pron} loves it",
    "Honestly the {p} is {adj} for the price",
    "Would not recommend this {p} to anyone",
    "Best {p} I have ever owned",
    "It is {adv} {adj} but the {part} is {adj2}",
    "After a month the {part} {verb} and I am not happy",
    "The {part} feels {adj} and the {part2} looks {adj2}",
    "I use the {p} every day and it still {verb}",
    "Don't buy it, it's {adj} and I'm {adv} disappointed",
    "We've had it for {n} months and it's still {adj}",
    "You can't beat it for {n} dollars",
    "Five stars, the {p} is {adj} and {adj2}",
)
RELS = "mom dad wife husband son daughter sister brother friend boss".split()
PARTS = "button screen handle lid battery cable strap zipper switch cover plug motor hinge".split()
ENDS = (".", ".", ".", ".", "!", "!", "?", "...", "!!", "…")
DECOR = (
    " Check http://www.example.com/item/B00{n} for details.",
    " See https://amzn.to/{n}x for the photos.",
    " @amazon please fix this!",
    " #fail",
    " 😀",
    " 👍🏽👍🏽",
    " ❤️",
    " I'd call it &#34;{adj}&#34; at best.",
    " Love it &amp; would buy again.",
    " 10/10",
)
SEPARATORS = (" ", " ", " ", " ", " ", " ", "<br /><br />", "<br />", "\n", "  ")


def sentence_pool(seed: int, size: int = 4000) -> list[str]:
    """Distinct review sentences built from the vocabulary (deterministic for a seed)."""
    rnd = random.Random(seed)
    pool = []
    for i in range(size):
        template = rnd.choice(OPINIONS if i % 3 else SERVICE)
        text = template.format(
            p=rnd.choice(PRODUCTS), adj=rnd.choice(ADJ), adj2=rnd.choice(ADJ), adv=rnd.choice(ADV),
            verb=rnd.choice(VERBS), n=rnd.randint(2, 60), rel=rnd.choice(RELS), rel_pron=rnd.choice(("she", "he")),
            part=rnd.choice(PARTS), part2=rnd.choice(PARTS),
        )
        extra = rnd.random()
        if extra < 0.5:  # a second clause
            text += ", " + rnd.choice(OPINIONS).format(
                p=rnd.choice(PRODUCTS), adj=rnd.choice(ADJ), adj2=rnd.choice(ADJ), adv=rnd.choice(ADV),
                verb=rnd.choice(VERBS), n=rnd.randint(2, 60), rel=rnd.choice(RELS), rel_pron="she",
                part=rnd.choice(PARTS), part2=rnd.choice(PARTS),
            ).lower()
        pool.append(text + rnd.choice(ENDS))
    return pool


def decorations(seed: int) -> list[str]:
    rnd = random.Random(seed + 1)
    return [d.format(n=rnd.randint(10, 99999), adj=rnd.choice(ADJ)) for d in DECOR for _ in range(20)]


def _pick(array_col, key: int, size: int):
    return F.element_at(array_col, (F.pmod(F.xxhash64(F.col("id"), F.lit(key)), F.lit(size)) + 1).cast("int"))


def generate_documents(spark: SparkSession, rows: int, seed: int) -> DataFrame:
    """``rows`` English reviews in the documents contract, with built-in functions only."""
    pool = sentence_pool(seed)
    decor = decorations(seed)
    sep = "\x1e"
    pool_col = F.split(F.lit(sep.join(pool)), sep)
    decor_col = F.split(F.lit(sep.join(decor)), sep)
    seps_col = F.split(F.lit(sep.join(SEPARATORS)), sep)
    n_sentences = F.pmod(F.xxhash64(F.col("id"), F.lit(seed)), F.lit(5)) + 4  # 4..8
    parts = []
    for k in range(8):
        piece = F.concat(_pick(pool_col, seed * 100 + k, len(pool)), _pick(seps_col, seed * 100 + 50 + k, len(SEPARATORS)))
        parts.append(F.when(F.lit(k) < n_sentences, piece))
    has_decor = F.pmod(F.xxhash64(F.col("id"), F.lit(seed + 7)), F.lit(10)) < 4  # 40% of reviews
    parts.append(F.when(has_decor, _pick(decor_col, seed + 8, len(decor))))
    text = F.trim(F.concat_ws("", *parts))
    h = lambda k: F.xxhash64(F.col("id"), F.lit(seed + k))  # noqa: E731
    seconds = F.pmod(h(11), F.lit(MONTHS * 30 * 86400)) + F.lit(int(START.timestamp()))
    created_at = F.timestamp_seconds(seconds)
    stars = (F.pmod(h(12), F.lit(5)) + 1).cast("int")
    total_votes = F.pmod(h(13), F.lit(20)).cast("int")
    documents_df = spark.range(rows).select(
        F.lit(SOURCE).alias("source"),
        F.concat(F.lit("R"), F.lpad(F.hex(F.col("id")), 10, "0")).alias("doc_id"),
        F.concat(F.lit("U"), F.pmod(h(14), F.lit(max(rows // 5, 1))).cast("string")).alias("user_id"),
        created_at.alias("created_at"),
        C.month_of(created_at).alias("month"),
        F.lit("en").alias("lang"),
        text.alias("text"),
        F.concat(F.lit("B0"), F.pmod(h(15), F.lit(50000)).cast("string")).alias("product_id"),
        F.pmod(h(16), F.lit(20000)).cast("string").alias("product_parent"),
        F.concat(F.lit("Product "), F.pmod(h(15), F.lit(50000)).cast("string")).alias("product_title"),
        F.lit("Electronics").alias("product_category"),
        stars.alias("star_rating"),
        F.least(F.pmod(h(17), F.lit(20)).cast("int"), total_votes).alias("helpful_votes"),
        total_votes.alias("total_votes"),
        (F.pmod(h(18), F.lit(10)) < 8).alias("verified_purchase"),
        F.lit(False).alias("vine"),
        F.lit("US").alias("marketplace"),
        F.concat(F.lit("Review of product "), F.pmod(h(15), F.lit(50000)).cast("string")).alias("headline"),
        F.lit("bench/generated").alias("source_file"),
    )
    return schemas.conform(documents_df, schemas.DOCUMENTS)


def ensure_documents(spark: SparkSession, cfg: config_mod.Config, rows: int, seed: int, regenerate: bool) -> float:
    """Generate the documents once per (rows, seed); returns the seconds spent (0 when reused)."""
    uri = cfg.uri("documents")
    stamp = config_mod.local_path(cfg.base_uri) / "documents.json"
    wanted = {"rows": rows, "seed": seed, "months": MONTHS, "pool": 4000, "sentences": "4-8"}
    if not regenerate and stamp.exists() and json.loads(stamp.read_text()) == wanted and io.path_exists(spark, uri):
        return 0.0
    path = config_mod.local_path(uri)
    if path.exists():
        shutil.rmtree(path)
    t = time.monotonic()
    io.write_partitioned(generate_documents(spark, rows, seed), uri, schemas.PARTITIONS["documents"])
    stamp.write_text(json.dumps(wanted))
    return time.monotonic() - t


# ------------------------------------------------------------------------------------------ baseline
def baseline(spark: SparkSession, documents_uri: str, out_uri: str) -> tuple[float, float]:
    """The seed notebook's way: row-at-a-time Python UDFs, then a write partitioned by month."""
    from pyspark.ml.feature import StopWordsRemover

    stop = frozenset(StopWordsRemover.loadDefaultStopWords("english"))
    url_re = re.compile(r"http\S+|www\.\S+")
    html_re = re.compile(r"<[^>]+>|&[a-z#0-9]+;")
    mention_re = re.compile(r"@\w+")
    other_re = re.compile(r"[^a-zà-öø-ÿ'\s]")

    @F.udf(T.StringType())
    def clean_text(text):
        if text is None:
            return None
        text = text.lower()
        text = url_re.sub(" ", text)
        text = html_re.sub(" ", text)
        text = mention_re.sub(" ", text)
        text = other_re.sub(" ", text)
        return " ".join(text.split())

    @F.udf(T.ArrayType(T.StringType()))
    def tokenize(text):
        if text is None:
            return []
        return [w.strip("'") for w in text.split() if w not in stop and len(w.strip("'")) >= 2]

    @F.udf(T.StringType())
    def to_month(ts):
        return ts.strftime("%Y-%m") if ts is not None else None

    with Meter() as m:
        documents_df = spark.read.parquet(documents_uri)
        cleaned_df = documents_df.withColumn("text_clean", clean_text(F.col("text")))
        tokens_df = cleaned_df.withColumn("tokens", tokenize(F.col("text_clean")))
        month_df = tokens_df.withColumn("month", to_month(F.col("created_at")))
        month_df.write.mode("overwrite").partitionBy("month").parquet(out_uri)
    return m.seconds, m.cpu


# ------------------------------------------------------------------------------------------ floor
def write_floor(spark: SparkSession, cfg: config_mod.Config) -> tuple[float, float]:
    """The I/O floor of the job: read the two outputs the project just wrote and write them again, the same way
    (``io.write_partitioned``), with no text work at all. Every engine pays at least this (reading the
    documents, writing documents_clean and sentences), so baseline seconds / floor seconds bounds the ratio any
    engine can reach on this machine."""
    with Meter() as m:
        for name in ("documents_clean", "sentences"):
            df = io.read_dataset(spark, cfg.uri(name), getattr(schemas, name.upper()))
            io.write_partitioned(df, cfg.uri("floor", name), schemas.PARTITIONS[name])
    path = config_mod.local_path(cfg.uri("floor"))
    if path is not None and path.exists():
        shutil.rmtree(path)
    return m.seconds, m.cpu


# ------------------------------------------------------------------------------------------ project
def run_project(spark: SparkSession, cfg: config_mod.Config, engine: str) -> tuple[float, dict]:
    engine_cfg = config_mod.Config(json.loads(json.dumps(cfg)))
    engine_cfg.path = cfg.path
    engine_cfg["preprocess"]["engine"] = engine
    args = argparse.Namespace(sources=None, months=None, run_id=f"bench-{engine}-{io.new_run_id()}")
    with Meter() as m:
        manifest = job.run(spark, engine_cfg, args)
    return m.seconds, {
        "read": manifest.read, "written": manifest.written, "sentences": manifest.extra["sentences"],
        "cpu_seconds": round(m.cpu, 1), "steps": manifest.extra["seconds"],
    }


# ------------------------------------------------------------------------------------------ profile
class Meter:
    """Wall seconds and Spark CPU seconds (JVM + Python workers) of a block."""

    def __enter__(self) -> "Meter":
        self.cpu0, self.t0 = spark_cpu_seconds(), time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.monotonic() - self.t0
        self.cpu = spark_cpu_seconds() - self.cpu0


def _timed(fn) -> tuple[float, float]:
    with Meter() as m:
        fn()
    return round(m.seconds, 2), round(m.cpu, 1)


def _noop(df: DataFrame) -> None:
    df.write.format("noop").mode("overwrite").save()


def profile_steps(spark: SparkSession, cfg: config_mod.Config, engines_to_run: list[str]) -> dict[str, dict]:
    options = TextOptions.from_config(cfg["preprocess"])
    uri = cfg.uri("documents")
    scratch = cfg.uri("profile")
    kept_df = job.kept_documents(job.mark_missing_text(job.read_documents(spark, uri)))
    out: dict[str, dict] = {}

    def step(name: str, fn) -> None:
        wall, cpu = _timed(fn)
        out[name] = {"seconds": wall, "cpu_seconds": cpu}
        print(f"  profile {name}: {wall:.2f}s wall, {cpu:.1f} cpu-s", flush=True)

    step("read text column", lambda: _noop(job.read_documents(spark, uri).select("text")))
    step("read all columns", lambda: _noop(job.read_documents(spark, uri)))
    step("count (outcome aggregate)", lambda: io.outcome_counts(job.mark_missing_text(job.read_documents(spark, uri)), ["source", "month"]))
    for engine in engines_to_run:
        step(f"{engine}: features with sentences, no write", lambda e=engine: _noop(engines.with_text_features(kept_df, options, e)))
    step("arrow: documents features only, no write", lambda: _noop(engines.with_document_features(kept_df, options, "arrow")))
    step("arrow: sentence rows only (flat from Python), no write", lambda: _noop(engines.sentence_rows(kept_df, options, "arrow")))
    # the pieces of the sentence/normalise work, built-ins versus spark-nlp
    text_df = kept_df.select("text", "lang")
    step("sql: split_sentences only", lambda: _noop(text_df.select(C.split_sentences(F.col("text")))))
    step("sql: normalize_text only (whole text)", lambda: _noop(text_df.select(C.normalize_text(F.col("text")))))
    if "sparknlp" in engines_to_run:
        from pyspark.ml import Pipeline
        from sparknlp.annotator import DocumentNormalizer
        from sparknlp.base import DocumentAssembler

        from vocspark.text import rules

        stages = engines.sparknlp_pipeline(options).getStages()
        prepared_df = text_df.select(F.col("text").alias("_text"))
        step("sparknlp: DocumentAssembler + SentenceDetector only", lambda: _noop(Pipeline(stages=stages[:2]).fit(prepared_df).transform(prepared_df).select("_sentence.result")))
        normalise_stages = [
            DocumentAssembler().setInputCol("_text").setOutputCol("_document").setCleanupMode("disabled"),
            DocumentNormalizer().setInputCols(["_document"]).setOutputCol("_norm").setAction("clean")
            .setPatterns(["(?i)" + rules.NORMALISE_PATTERN]).setReplacement(" ").setLowercase(True).setPolicy("all"),
        ]
        step("sparknlp: DocumentNormalizer only (whole text)", lambda: _noop(Pipeline(stages=normalise_stages).fit(prepared_df).transform(prepared_df).select("_norm.result")))
    # persist versus recompute, and the cost of the shuffle io.write_partitioned does before each write
    parts = schemas.PARTITIONS["documents_clean"]

    def persisted() -> None:
        dc_df, s_df, cached_df = job.text_outputs(kept_df, options, "arrow", strategy="persist")
        step("  persist: features -> cache", lambda: cached_df.count())
        step("  persist: write documents_clean via io.write_partitioned (shuffle)", lambda: io.write_partitioned(dc_df, f"{scratch}/p_dc", parts))
        step("  persist: write sentences via io.write_partitioned (shuffle)", lambda: io.write_partitioned(s_df, f"{scratch}/p_s", parts))
        step("  persist: write documents_clean, partitionBy without shuffle", lambda: dc_df.write.mode("overwrite").partitionBy(*parts).parquet(f"{scratch}/p_dc2"))
        step("  persist: write sentences, partitionBy without shuffle", lambda: s_df.write.mode("overwrite").partitionBy(*parts).parquet(f"{scratch}/p_s2"))
        cached_df.unpersist()

    persisted()

    def recomputed() -> None:
        dc_df, s_df, _ = job.text_outputs(kept_df, options, "arrow", strategy="recompute")
        io.write_partitioned(dc_df, f"{scratch}/r_dc", parts)
        io.write_partitioned(s_df, f"{scratch}/r_s", parts)

    step("arrow: both writes, recompute strategy (two text passes)", recomputed)
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key)
    for size in (2500, 10000, 20000):
        spark.conf.set(key, str(size))
        step(f"arrow: documents features, no write, batch {size}", lambda: _noop(engines.with_document_features(kept_df, options, "arrow")))
    spark.conf.set(key, before)
    path = config_mod.local_path(scratch)
    if path is not None and path.exists():
        shutil.rmtree(path)
    return out


# ------------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--config", default=str(ROOT / "conf" / "local.yaml"))
    parser.add_argument("--work", default="/tmp/vocspark-bench", help="folder for the generated data and outputs")
    parser.add_argument("--engines", default=",".join(ENGINES), help="engines to run end to end")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-floor", action="store_true", help="do not measure the write floor")
    parser.add_argument("--profile-steps", action="store_true")
    parser.add_argument("--regenerate", action="store_true", help="generate the documents even if cached")
    parser.add_argument("--progress", action="store_true", help="show Spark's console progress bar")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)

    work = Path(args.work) / f"rows-{args.rows}"
    work.mkdir(parents=True, exist_ok=True)
    overrides = dict(config_mod.parse_override(o) for o in args.overrides)
    overrides["base_uri"] = str(work)
    cfg = config_mod.load(args.config, overrides)
    if not args.progress:  # the console progress bar would interleave with the result lines
        cfg["spark"]["conf"].setdefault("spark.ui.showConsoleProgress", "false")
    default_engine = cfg["preprocess"]["engine"]
    engines_to_run = [e.strip() for e in args.engines.split(",") if e.strip()]
    if default_engine not in engines_to_run:
        engines_to_run.insert(0, default_engine)
    spark = build_session(cfg, app_name="vocspark-bench-preprocess")
    spark.sparkContext.setLogLevel("ERROR")
    global SAMPLER
    SAMPLER = CpuSampler(jvm_pid(spark) if Path("/proc").is_dir() else None)
    SAMPLER.start()
    cores = spark.sparkContext.defaultParallelism or os.cpu_count() or 1

    load_start = os.getloadavg()[0]
    gen_seconds = ensure_documents(spark, cfg, args.rows, args.seed, args.regenerate)
    if gen_seconds:
        print(f"generated {args.rows} reviews in {gen_seconds:.1f}s", flush=True)
    sample = job.read_documents(spark, cfg.uri("documents")).select(F.length("text").alias("n")).agg(
        F.avg("n").alias("avg"), F.expr("percentile_approx(n, array(0.05, 0.5, 0.95))").alias("p")
    ).first()
    print(f"text length: mean {sample['avg']:.0f} chars, p5/p50/p95 {sample['p']}", flush=True)

    results: dict[str, dict] = {}
    profile = None
    if args.profile_steps:
        print("profile (seconds, each step a separate Spark job over all rows):", flush=True)
        profile = profile_steps(spark, cfg, engines_to_run)
    for engine in engines_to_run:
        seconds, info = run_project(spark, cfg, engine)
        results[f"project[{engine}]"] = {"rows": info["read"], "seconds": round(seconds, 2), **info}
        print(_line(f"project[{engine}]", info["read"], seconds, cores, info["cpu_seconds"]), flush=True)
    floor = None
    if not args.skip_floor:
        seconds, cpu = write_floor(spark, cfg)
        rows = results[f"project[{default_engine}]"]["rows"]
        results["floor (rewrite both outputs, no text work)"] = {"rows": rows, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 1)}
        print(_line("floor (rewrite both outputs, no text work)", rows, seconds, cores, cpu), flush=True)
    if not args.skip_baseline:
        seconds, cpu = baseline(spark, cfg.uri("documents"), cfg.uri("baseline"))
        results["baseline"] = {"rows": args.rows, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 1)}
        print(_line("baseline", args.rows, seconds, cores, cpu), flush=True)

    for entry in results.values():
        entry["rows_per_s"] = round(entry["rows"] / entry["seconds"], 1)
        entry["rows_per_s_per_core"] = round(entry["rows"] / entry["seconds"] / cores, 1)
        entry["cpu_seconds_per_1m_rows"] = round(entry["cpu_seconds"] / entry["rows"] * 1e6, 1)
    project = results[f"project[{default_engine}]"]
    ratio = project["rows_per_s"] / results["baseline"]["rows_per_s"] if "baseline" in results else None
    floor_key = "floor (rewrite both outputs, no text work)"
    if floor_key in results and "baseline" in results:
        # no engine can beat the floor: its throughput over the baseline's bounds the attainable ratio
        floor = {
            "ratio_bound_wall": round(results[floor_key]["rows_per_s"] / results["baseline"]["rows_per_s"], 2),
            "ratio_bound_cpu": round(results["baseline"]["cpu_seconds"] / max(results[floor_key]["cpu_seconds"], 1e-9), 2),
            "project_cpu_ratio": round(results["baseline"]["cpu_seconds"] / max(project["cpu_seconds"], 1e-9), 2),
        }
        print(f"attainable ratio bound (baseline / floor): {floor['ratio_bound_wall']:.2f} wall, "
              f"{floor['ratio_bound_cpu']:.2f} CPU; project by CPU seconds: {floor['project_cpu_ratio']:.2f}", flush=True)
    report = {
        "rows": args.rows,
        "cores": cores,
        "default_engine": default_engine,
        "spark": spark.version,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "arrow_max_records_per_batch": spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch"),
        "results": results,
        "ratio": round(ratio, 2) if ratio is not None else None,
        "floor": floor,
        "profile": profile,
    }
    report["notes"] = [
        f"load average (1 min) at start {load_start:.1f}, at end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: "
        "wall times include other processes on a shared machine; Spark CPU core-s counts only this benchmark's JVM "
        "and Python workers",
    ]
    write_results(report)
    spark.stop()
    print(f"ratio: {ratio:.2f}" if ratio is not None else "ratio: n/a (baseline skipped)")
    return 0


def _line(name: str, rows: int, seconds: float, cores: int, cpu: float) -> str:
    return (
        f"{name}: rows {rows}, seconds {seconds:.1f}, rows/s {rows / seconds:,.0f}, "
        f"rows/s per core {rows / seconds / cores:,.0f} (Spark cpu {cpu:.0f} core-s)"
    )


def write_results(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"preprocess-{report['rows']}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# preprocess benchmark, {report['rows']:,} reviews",
        "",
        f"{report['date']}, Spark {report['spark']}, {report['cores']} cores, default engine "
        f"`{report['default_engine']}`, ratio (project / baseline throughput): **{report['ratio']}**",
        "",
        "| run | rows | seconds | rows/s | rows/s per core | Spark CPU core-s | core-s per 1M rows |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in report["results"].items():
        lines.append(
            f"| {name} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | {r['rows_per_s_per_core']:,.0f} "
            f"| {r['cpu_seconds']:.0f} | {r['cpu_seconds_per_1m_rows']:.0f} |"
        )
    if report.get("floor"):
        f = report["floor"]
        lines += [
            "", f"Attainable ratio bound (baseline / floor, the floor = rewriting both outputs with no text work): "
            f"**{f['ratio_bound_wall']}** by wall time, **{f['ratio_bound_cpu']}** by CPU seconds; the project by CPU "
            f"seconds: **{f['project_cpu_ratio']}**.",
        ]
    if report.get("profile"):
        lines += [
            "", "## Steps (each a separate Spark job over all rows)", "",
            "| step | seconds | Spark CPU core-s |", "|---|---:|---:|",
        ]
        lines += [f"| {k} | {v['seconds']:.2f} | {v['cpu_seconds']:.1f} |" for k, v in report["profile"].items()]
    if report.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
