"""Benchmark of the topic model (Word2Vec + KMeans) against gensim and scikit-learn, on the same corpus, same run.

    .venv/bin/python bench/topics.py --comments 1700000 [--levers] [--repeats 2] [--spark-conf KEY=VALUE]

1. Corpus: ``--comments`` generated Instagram comments (the demo generator, with planted truth) go through the
   project's ``ingest`` and ``preprocess`` jobs into ``--work``/comments-N (kept between runs). The training
   sentences are exactly what ``train_topics`` reads (``training_sentences``, non-empty tokens, persisted); the
   same sentences are read with pyarrow into Python lists for gensim. Both reads are outside the timed parts.
2. Word2Vec: the project's Word2Vec stage (``topics.fit_word2vec`` with the ``topics.<model>`` config: Spark ML,
   skip-gram + hierarchical softmax) against gensim ``Word2Vec(sg=1, hs=1, negative=0, workers=<cores>)`` with the
   same vector size, window, min count, epochs, learning rate and seed. The baseline is Spark's algorithm, so by
   default (``--gensim-sample spark``) gensim does not subsample either (``sample=0``): the project's
   ``word2vec.sample`` (frequent-word subsampling before Spark's training) is a project lever, like training KMeans
   on a sample, and is only accepted at equal comment accuracy (section 4). When the project subsamples, gensim is
   also run once with the project's ``sample`` and that like-for-like ratio is printed and saved beside the
   headline. ``--gensim-sample project`` or a number makes that the headline baseline instead.
   Timed: the whole fit (vocabulary + training; for the project also the subsampling) on both sides.
   words/s = corpus tokens x epochs / seconds for both (corpus tokens before any subsampling).
3. KMeans: on the sentence vectors of the project's Word2Vec model (sum of in-vocabulary vectors / all tokens).
   Project, timed: its KMeans stage as ``topics.fit`` runs it (``fit_kmeans_on_sentences``: the vectors, the
   sample when ``kmeans.train_sample_rows`` > 0, the fit) plus the assignment of EVERY sentence
   (``topics.assign`` + ``cluster_sizes``, what ``train_topics`` does next), since scikit-learn's fit labels
   every row. Baseline: scikit-learn ``KMeans(algorithm="lloyd", n_init=1)``, same k, max iterations and seed,
   on the same vectors as float64 numpy (read from Parquet outside the timed part); for the cosine distance the
   rows are L2-normalised first (inside the timed part). Final cost for both = the project's objective computed
   the same way in numpy: sum over all rows of 1 - cos(row, nearest centre) (cosine) or the squared distance.
4. Quality: ``comment_label_accuracy`` (``vocspark.demo.topic_quality.planted_quality``: demo mapping from the
   planted truth, then the comment vote stage of the saved scoring model) of the project's clusters, of scikit-learn's clusters of the same
   vectors, and of gensim vectors + scikit-learn (the whole baseline), on the benchmark corpus; and, with
   ``--quality-comments`` > 0, of the ``train_topics`` job itself on the demo data, scored by
   ``python -m vocspark.demo.topic_quality``'s ``evaluate`` (untuned defaults versus the
   project config).
5. ``--levers``: each speed lever on and off (Word2Vec partitions and subsampling, KMeans training sample size,
   init mode and steps, persisted sample, Spark SQL settings), with seconds, cost and accuracy.

Prints tokens, both throughputs and ratios, then LAST ``ratio: <the smaller of the two ratios>`` where
Word2Vec ratio = project words/s / gensim words/s and KMeans ratio = scikit-learn seconds / project seconds.
Writes ``bench/results/topics.json`` and ``.md``. Runs of one side are interleaved with the other's
(``--repeats``) and the best time of each side is kept, because other processes may load the machine.
JVM options (e.g. ``--spark-conf spark.driver.extraJavaOptions=--add-modules=jdk.incubator.vector``) go
through ``--spark-conf``, which applies before the JVM starts.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from pyspark import StorageLevel  # noqa: E402
from pyspark.ml import PipelineModel  # noqa: E402
from pyspark.ml.functions import vector_to_array  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from vocspark import config as config_mod  # noqa: E402
from vocspark import io  # noqa: E402
from vocspark.demo import topic_quality  # noqa: E402
from vocspark.demo.generator import generate  # noqa: E402
from vocspark.jobs import ingest, preprocess, train_topics  # noqa: E402
from vocspark.models import topics  # noqa: E402
from vocspark.session import build_session  # noqa: E402

RESULTS = ROOT / "bench" / "results"
# The topic model settings before this benchmark's levers were applied (what "untuned" means below).
UNTUNED = {
    "word2vec": {"num_partitions": 1, "sample": 0.0},
    "kmeans": {"train_sample_rows": 0, "init_steps": 2, "init_mode": "k-means||"},
}


# ------------------------------------------------------------------------------------------ corpus
def ensure_corpus(spark: SparkSession, cfg: config_mod.Config, comments: int, seed: int, regenerate: bool) -> float:
    """Generate ``comments`` Instagram comments with truth, then run ingest + preprocess, once per (N, seed)."""
    base = config_mod.local_path(cfg.base_uri)
    stamp = base / "corpus.json"
    wanted = {"comments": comments, "seed": seed, "reviews": 0, "tweets": 0, "months": 6}
    if not regenerate and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return 0.0
    for sub in ("raw", "truth", "documents", "documents_clean", "sentences", "rejected", "manifests", "models"):
        shutil.rmtree(base / sub, ignore_errors=True)
    t = time.monotonic()
    generate(base / "raw", base / "truth", comments=comments, reviews=0, tweets=0, seed=seed, months=6,
             workers=os.cpu_count() or 1)
    ingest.run(spark, cfg, argparse.Namespace(sources="instagram", run_id="bench-ingest"))
    preprocess.run(spark, cfg, argparse.Namespace(sources=None, months=None, run_id="bench-preprocess"))
    stamp.write_text(json.dumps(wanted))
    return time.monotonic() - t


def corpus_table(cfg: config_mod.Config, sources: list[str]) -> pa.Table:
    """doc_id, sentence_idx, tokens of the training sentences (non-empty tokens), read with pyarrow."""
    path = config_mod.local_path(cfg.uri("sentences"))
    table = pq.read_table(path, columns=["source", "doc_id", "sentence_idx", "tokens"])
    table = table.filter(pc.is_in(table["source"].cast(pa.string()), pa.array(sources)))
    table = table.filter(pc.greater(pc.list_value_length(table["tokens"]), 0))
    return table.select(["doc_id", "sentence_idx", "tokens"]).combine_chunks()


def python_corpus(table: pa.Table) -> list[list[str]]:
    """The sentences as Python lists of strings for gensim, one string object per distinct word (compact)."""
    tokens = table["tokens"].combine_chunks()
    encoded = pc.list_flatten(tokens).dictionary_encode()
    words = encoded.dictionary.to_pylist()
    flat = [words[i] for i in encoded.indices.to_numpy()]
    ends = np.cumsum(pc.list_value_length(tokens).to_numpy()).tolist()
    return [flat[a:b] for a, b in zip([0] + ends[:-1], ends)]


# ------------------------------------------------------------------------------------------ helpers
def with_params(tcfg: dict, changes: dict[str, dict[str, Any]]) -> dict:
    out = copy.deepcopy(tcfg)
    for section, values in changes.items():
        out[section].update(values)
    return out


class CpuClock:
    """CPU seconds (user + system, all threads) of this Python process plus the Spark driver JVM (local mode)."""

    def __init__(self, spark: SparkSession | None):
        self.jvm_stat = None
        if spark is not None:
            pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
            self.jvm_stat = Path(f"/proc/{pid}/stat")
        self.tick = os.sysconf("SC_CLK_TCK")

    def __call__(self) -> float:
        seconds = time.process_time()
        if self.jvm_stat is not None and self.jvm_stat.exists():
            fields = self.jvm_stat.read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime
        return seconds


CPU: CpuClock | None = None


def timed(fn: Callable[[], Any], cpu: list | None = None) -> tuple[float, Any]:
    """Wall seconds of ``fn()`` (and its CPU seconds appended to ``cpu`` when given) and its value."""
    c = CPU() if CPU else 0.0
    t = time.monotonic()
    value = fn()
    wall = time.monotonic() - t
    if cpu is not None:
        cpu.append((CPU() if CPU else 0.0) - c)
    return wall, value


def unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def kmeans_cost(x: np.ndarray, centers: np.ndarray, distance: str, chunk: int = 100_000) -> float:
    """The project's KMeans objective on all rows: sum of 1 - cos to the nearest centre, or squared distance."""
    total = 0.0
    if distance == "cosine":
        cn = unit_rows(centers)
        for i in range(0, len(x), chunk):
            total += float((1.0 - (unit_rows(x[i:i + chunk]) @ cn.T).max(axis=1)).sum())
    else:
        c2 = (centers ** 2).sum(axis=1)
        for i in range(0, len(x), chunk):
            part = x[i:i + chunk]
            d = (part ** 2).sum(axis=1, keepdims=True) - 2 * part @ centers.T + c2
            total += float(np.maximum(d.min(axis=1), 0).sum())
    return total


def vectors_numpy(path: Path) -> tuple[np.ndarray, pa.Table]:
    """The vectors written by Spark as one float32 numpy array (filled batch by batch), plus their keys."""
    import pyarrow.dataset as pads

    dataset = pads.dataset(str(path), format="parquet")
    keys = dataset.to_table(columns=["doc_id", "sentence_idx"])
    x = None
    start = 0
    for batch in dataset.to_batches(columns=["v"], batch_size=100_000):
        if not batch.num_rows:
            continue
        part = pc.list_flatten(batch.column(0)).to_numpy().reshape(batch.num_rows, -1)
        if x is None:
            x = np.empty((keys.num_rows, part.shape[1]), np.float32)
        x[start:start + batch.num_rows] = part
        start += batch.num_rows
    return x, keys


# ------------------------------------------------------------------------------------------ sides
def spark_word2vec(train_df: DataFrame, tcfg: dict, cpu: list | None = None):
    return timed(lambda: topics.fit_word2vec(train_df, tcfg), cpu)


def gensim_word2vec(corpus: list[list[str]], tcfg: dict, workers: int, cpu: list | None = None) -> tuple[float, float, Any]:
    """(seconds total, seconds of training only, model): build_vocab + train, as the constructor does."""
    from gensim.models import Word2Vec as GensimWord2Vec

    w2v = tcfg["word2vec"]
    model = GensimWord2Vec(
        vector_size=w2v["vector_size"], window=w2v["window"], min_count=w2v["min_count"], epochs=w2v["max_iter"],
        sg=1, hs=1, negative=0, workers=workers, sample=w2v.get("sample", 0.0), alpha=w2v["step_size"],
        seed=w2v["seed"],
    )
    c0 = CPU() if CPU else 0.0
    t0 = time.monotonic()
    model.build_vocab(corpus)
    t1 = time.monotonic()
    model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs)
    t2 = time.monotonic()
    if cpu is not None:
        cpu.append((CPU() if CPU else 0.0) - c0)
    return t2 - t0, t2 - t1, model


def spark_kmeans(w2v_model, train_df: DataFrame, n_train: int, tcfg: dict, cpu: list | None = None):
    """The project's KMeans stage plus the assignment of every sentence; returns (seconds, model, sizes)."""
    def run():
        km_model = topics.fit_kmeans_on_sentences(w2v_model, train_df, tcfg, total_rows=n_train)
        clustered_df = topics.assign(topics.clustering_model(w2v_model, km_model), train_df.select("tokens"))
        return km_model, topics.cluster_sizes(clustered_df)

    seconds, (km_model, sizes) = timed(run, cpu)
    return seconds, km_model, sizes


def sklearn_kmeans(x: np.ndarray, tcfg: dict, cpu: list | None = None):
    """scikit-learn's Lloyd KMeans on ``x`` (float32; L2-normalised IN PLACE first for the cosine distance)."""
    from sklearn.cluster import KMeans as SkKMeans

    km = tcfg["kmeans"]

    def run():
        if km["distance"] == "cosine":  # in place (idempotent), to hold one copy of the rows in memory
            norms = np.linalg.norm(x, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            np.divide(x, norms, out=x)
        return SkKMeans(n_clusters=km["k"], max_iter=km["max_iter"], n_init=1, algorithm="lloyd",
                        random_state=km["seed"], copy_x=False).fit(x)

    return timed(run, cpu)


def gensim_sentence_vectors(model, tokens: pa.ChunkedArray, chunk: int = 200_000) -> np.ndarray:
    """The project's rule on gensim's word vectors: sum of in-vocabulary vectors / number of all tokens."""
    tokens = tokens.combine_chunks()
    vocab = pa.array(list(model.wv.index_to_key))
    table = np.vstack([model.wv.vectors.astype(np.float32), np.zeros((1, model.wv.vector_size), np.float32)])
    out = np.zeros((len(tokens), model.wv.vector_size), np.float32)
    for start in range(0, len(tokens), chunk):
        part = tokens.slice(start, chunk)
        index = pc.fill_null(pc.index_in(pc.list_flatten(part), value_set=vocab), -1).to_numpy()
        lengths = pc.list_value_length(part).to_numpy()
        rows = table[np.where(index < 0, len(table) - 1, index)]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        out[start:start + len(part)] = np.add.reduceat(rows, offsets, axis=0) / lengths[:, None]
    return out


# ------------------------------------------------------------------------------------------ quality
class Quality:
    """comment_label_accuracy of any sentence clustering of the benchmark corpus (planted truth)."""

    def __init__(self, spark: SparkSession, cfg: config_mod.Config, name: str, train_df: DataFrame):
        self.spark, self.cfg, self.name = spark, cfg, name
        self.keys_df = train_df.select("doc_id", "sentence_idx")
        self.n = 0

    def of_model(self, model: PipelineModel, train_df: DataFrame) -> dict:
        clustered_df = topics.assign(model, train_df.select("doc_id", "sentence_idx", "tokens"))
        return self._score(clustered_df.select("doc_id", "sentence_idx", topics.CLUSTER_COL))

    def of_labels(self, keys: pa.Table, labels: np.ndarray) -> dict:
        labelled = keys.append_column(topics.CLUSTER_COL, pa.array(labels.astype(np.int32)))
        labels_df = self.spark.createDataFrame(labelled.to_pandas())
        clustered_df = self.keys_df.join(labels_df, ["doc_id", "sentence_idx"], "left")
        return self._score(clustered_df)

    def _score(self, clustered_df: DataFrame) -> dict:
        self.n += 1
        clustered_df = clustered_df.persist(StorageLevel.MEMORY_AND_DISK)
        sizes = topics.cluster_sizes(clustered_df)
        quality, _ = topic_quality.planted_quality(self.spark, self.cfg.uri("truth"), self.name, f"q{self.n}",
                                                   clustered_df, sizes)
        clustered_df.unpersist()
        return {k: quality[k] for k in ("comment_label_accuracy", "purity", "adjusted_rand_index", "labelled_clusters")}


def demo_quality(spark: SparkSession, args, name: str, tcfg: dict) -> dict:
    """train_topics on the demo-sized corpus: untuned defaults versus the project config."""
    cfg = load_config(args, Path(args.work) / f"comments-{args.quality_comments}")
    ensure_corpus(spark, cfg, args.quality_comments, args.seed, False)
    out = {}
    for label, params in (("untuned", with_params(tcfg, UNTUNED)), ("project", tcfg)):
        run_cfg = config_mod.Config(copy.deepcopy(dict(cfg)))
        run_cfg.path = cfg.path
        run_cfg["topics"][name] = params
        version = f"bench-{label}-{io.new_run_id()}"  # versions are immutable: a new one per run
        metadata = train_topics.run(spark, run_cfg, argparse.Namespace(model=name, until=None, version=version,
                                                                       truth=None, run_id=version))
        q = topic_quality.evaluate(spark, run_cfg, name, version) or {}
        out[label] = {
            "comment_label_accuracy": q.get("comment_label_accuracy"), "purity": q.get("purity"),
            "fit_seconds": metadata["seconds"]["fit"], "total_seconds": metadata["seconds"]["total"],
            "params": metadata["params"],
        }
        print(f"demo quality [{label}] ({args.quality_comments} comments, train_topics): comment_label_accuracy "
              f"{out[label]['comment_label_accuracy']}, fit {out[label]['fit_seconds']:.1f}s", flush=True)
    return out


# ------------------------------------------------------------------------------------------ levers
WORD2VEC_LEVERS = [
    ("untuned: num_partitions 1, no subsampling", {"word2vec": {"num_partitions": 1, "sample": 0.0}}),
    ("num_partitions 2", {"word2vec": {"num_partitions": 2, "sample": 0.0}}),
    ("subsample 1e-3", {"word2vec": {"num_partitions": 1, "sample": 1e-3}}),
    ("subsample 1e-3, num_partitions 2", {"word2vec": {"num_partitions": 2, "sample": 1e-3}}),
    ("subsample 1e-4", {"word2vec": {"num_partitions": 1, "sample": 1e-4}}),
    ("subsample 1e-4, num_partitions 2", {"word2vec": {"num_partitions": 2, "sample": 1e-4}}),
    ("subsample 1e-5, num_partitions 2", {"word2vec": {"num_partitions": 2, "sample": 1e-5}}),
]
KMEANS_LEVERS = [
    ("untuned: all rows, k-means|| 2 steps", {"kmeans": {"train_sample_rows": 0, "init_steps": 2, "init_mode": "k-means||"}}),
    ("sample 50k", {"kmeans": {"train_sample_rows": 50_000, "init_steps": 2, "init_mode": "k-means||"}}),
    ("sample 100k", {"kmeans": {"train_sample_rows": 100_000, "init_steps": 2, "init_mode": "k-means||"}}),
    ("sample 200k", {"kmeans": {"train_sample_rows": 200_000, "init_steps": 2, "init_mode": "k-means||"}}),
    ("sample 500k", {"kmeans": {"train_sample_rows": 500_000, "init_steps": 2, "init_mode": "k-means||"}}),
    ("sample 200k, init_steps 1", {"kmeans": {"train_sample_rows": 200_000, "init_steps": 1, "init_mode": "k-means||"}}),
    ("sample 200k, init_steps 5", {"kmeans": {"train_sample_rows": 200_000, "init_steps": 5, "init_mode": "k-means||"}}),
    ("sample 200k, random init", {"kmeans": {"train_sample_rows": 200_000, "init_steps": 2, "init_mode": "random"}}),
]
SQL_LEVERS = [
    ("spark.sql.adaptive.enabled=false", {"spark.sql.adaptive.enabled": "false"}),
    ("spark.sql.shuffle.partitions=2", {"spark.sql.shuffle.partitions": "2"}),
]


def run_levers(spark, tcfg, train_df, n_train, keys_tokens, cores, quality: Quality, x: np.ndarray, w2v_project) -> dict:
    out: dict[str, list] = {"word2vec": [], "kmeans": [], "spark_sql": []}
    corpus = python_corpus(keys_tokens)
    distance = tcfg["kmeans"]["distance"]
    for label, changes in WORD2VEC_LEVERS:
        params = with_params(tcfg, changes)
        cpu, g_cpu = [], []
        seconds, w2v_model = spark_word2vec(train_df, params, cpu)
        g_seconds, _, _ = gensim_word2vec(corpus, params, cores, g_cpu)
        km_seconds, km_model, _ = spark_kmeans(w2v_model, train_df, n_train, params)
        q = quality.of_model(topics.clustering_model(w2v_model, km_model), train_df)
        row = {"lever": label, "params": params["word2vec"], "seconds": round(seconds, 2),
               "cpu_seconds": round(cpu[0], 2), "gensim_seconds": round(g_seconds, 2),
               "gensim_cpu_seconds": round(g_cpu[0], 2), "ratio": round(g_seconds / seconds, 3),
               "cpu_ratio": round(g_cpu[0] / cpu[0], 3), "comment_label_accuracy": q["comment_label_accuracy"]}
        out["word2vec"].append(row)
        print(f"  lever word2vec [{label}]: {seconds:.1f}s, CPU {cpu[0]:.1f}s (gensim same settings {g_seconds:.1f}s, "
              f"CPU {g_cpu[0]:.1f}s; ratio {row['ratio']:.2f}, CPU ratio {row['cpu_ratio']:.2f}), accuracy "
              f"{row['comment_label_accuracy']}", flush=True)
    del corpus
    gc.collect()
    w2v_model = w2v_project  # the headline's Word2Vec model: every KMeans lever on the vectors in ``x``
    for label, changes in KMEANS_LEVERS:
        params = with_params(tcfg, changes)
        cpu: list = []
        seconds, km_model, _ = spark_kmeans(w2v_model, train_df, n_train, params, cpu)
        cost = kmeans_cost(x, np.array(km_model.clusterCenters()), distance) if x is not None else None
        q = quality.of_model(topics.clustering_model(w2v_model, km_model), train_df)
        row = {"lever": label, "params": params["kmeans"], "seconds": round(seconds, 2), "cpu_seconds": round(cpu[0], 2),
               "iterations": km_model.summary.numIter, "cost": round(cost, 1) if cost is not None else None,
               "comment_label_accuracy": q["comment_label_accuracy"]}
        out["kmeans"].append(row)
        print(f"  lever kmeans [{label}]: {seconds:.1f}s, CPU {cpu[0]:.1f}s, {row['iterations']} iterations, cost {row['cost']}, "
              f"accuracy {row['comment_label_accuracy']}", flush=True)
    # persisted sample versus a sample Spark's KMeans caches itself (the sample's vectors recomputed once)
    params = tcfg if tcfg["kmeans"]["train_sample_rows"] else with_params(tcfg, {"kmeans": {"train_sample_rows": 200_000}})

    def unpersisted():
        kmeans = topics.build_pipeline(params).getStages()[1]
        tokens_df = topics.sample_about(train_df.select("tokens"), params["kmeans"]["train_sample_rows"],
                                        params["kmeans"]["seed"], n_train)
        km_model = kmeans.fit(topics.sentence_vectors(w2v_model, tokens_df))
        topics.cluster_sizes(topics.assign(topics.clustering_model(w2v_model, km_model), train_df.select("tokens")))

    cpu = []
    seconds, _ = timed(unpersisted, cpu)
    out["kmeans"].append({"lever": f"sample {params['kmeans']['train_sample_rows']:,} NOT persisted (KMeans caches it)",
                          "params": params["kmeans"], "seconds": round(seconds, 2), "cpu_seconds": round(cpu[0], 2)})
    print(f"  lever kmeans [sample not persisted]: {seconds:.1f}s, CPU {cpu[0]:.1f}s", flush=True)
    # Spark SQL settings on the whole project path (Word2Vec + KMeans + assignment)
    for label, conf in [("project as configured", {})] + SQL_LEVERS:
        before = {k: spark.conf.get(k) for k in conf}
        for k, v in conf.items():
            spark.conf.set(k, v)
        cpu = []
        seconds, _ = timed(lambda: spark_kmeans(topics.fit_word2vec(train_df, tcfg), train_df, n_train, tcfg), cpu)
        for k, v in before.items():
            spark.conf.set(k, v)
        out["spark_sql"].append({"lever": label, "seconds": round(seconds, 2), "cpu_seconds": round(cpu[0], 2)})
        print(f"  lever spark sql [{label}]: Word2Vec + KMeans + assignment {seconds:.1f}s, CPU {cpu[0]:.1f}s",
              flush=True)
    return out


# ------------------------------------------------------------------------------------------ main
def load_config(args, base: Path) -> config_mod.Config:
    base.mkdir(parents=True, exist_ok=True)
    overrides = dict(config_mod.parse_override(o) for o in args.overrides)
    overrides["base_uri"] = str(base)
    cfg = config_mod.load(args.config, overrides)
    if not args.progress:  # the console progress bar would interleave with the result lines
        cfg["spark"]["conf"]["spark.ui.showConsoleProgress"] = False
    for item in args.spark_conf:
        key, value = item.split("=", 1)
        cfg["spark"]["conf"][key] = value
    return cfg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_700_000, help="generated comments (1.7M ~ 15M tokens)")
    parser.add_argument("--config", default=str(ROOT / "conf" / "local.yaml"))
    parser.add_argument("--model", default=None, help="topic model name in the config (default: the first)")
    parser.add_argument("--work", default="/tmp/vocspark-bench-topics", help="folder for the corpus and outputs")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per side (interleaved; best kept)")
    parser.add_argument("--levers", action="store_true", help="also measure each speed lever on and off")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false",
                        help="skip the untimed JVM warm-up fit on a 50k-sentence sample")
    parser.add_argument("--quality-comments", type=int, default=20000,
                        help="demo corpus for train_topics accuracy, untuned vs project (0: skip)")
    parser.add_argument("--skip-baseline-quality", action="store_true", help="no gensim + scikit-learn accuracy")
    parser.add_argument("--gensim-sample", default="spark",
                        help="gensim's sample: `spark` (0, as Spark ML Word2Vec), `project` (word2vec.sample) or a number")
    parser.add_argument("--regenerate", action="store_true", help="generate the corpus even if cached")
    parser.add_argument("--progress", action="store_true", help="show Spark's console progress bar")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. topics.instagram.word2vec.num_partitions=2")
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                        help="extra Spark setting for this run (applied before the JVM starts)")
    args = parser.parse_args(argv)

    cfg = load_config(args, Path(args.work) / f"comments-{args.comments}")
    name = topics.model_name(cfg, args.model)
    tcfg = cfg["topics"][name]
    spark = build_session(cfg, app_name="vocspark-bench-topics")
    spark.sparkContext.setLogLevel("ERROR")
    cores = spark.sparkContext.defaultParallelism or os.cpu_count() or 1

    prep_seconds = ensure_corpus(spark, cfg, args.comments, args.seed, args.regenerate)
    if prep_seconds:
        print(f"corpus: generated + ingested + preprocessed {args.comments} comments in {prep_seconds:.0f}s", flush=True)

    # ---- corpus, outside the timed parts
    sentences_df, _ = train_topics.training_sentences(spark, cfg, tcfg, None)
    train_df = sentences_df.where(F.size("tokens") > 0).persist(StorageLevel.MEMORY_AND_DISK)
    stats = train_df.agg(F.count(F.lit(1)).alias("rows"), F.sum(F.size("tokens")).alias("tokens")).first()
    n_train, n_tokens = int(stats["rows"]), int(stats["tokens"])
    keys_tokens = corpus_table(cfg, tcfg["sources"])
    corpus = python_corpus(keys_tokens)
    assert len(corpus) == n_train, (len(corpus), n_train)
    epochs = tcfg["word2vec"]["max_iter"]
    print(f"corpus: {args.comments} comments, {n_train} sentences, tokens {n_tokens} "
          f"({n_tokens / n_train:.2f} per sentence), {cores} cores", flush=True)

    global CPU
    CPU = CpuClock(spark)
    if args.warmup:  # JIT-compile the JVM side on a small sample (steady-state throughput is what is compared)
        warm_df = train_df.sample(fraction=min(1.0, 50_000 / n_train), seed=1).persist(StorageLevel.MEMORY_AND_DISK)
        warm_model = topics.fit_word2vec(warm_df, tcfg)
        spark_kmeans(warm_model, warm_df, warm_df.count(), tcfg)
        warm_df.unpersist()

    # ---- Word2Vec, interleaved
    project_sample = float(tcfg["word2vec"].get("sample", 0.0))
    gensim_sample = {"spark": 0.0, "project": project_sample}.get(args.gensim_sample)
    gensim_sample = float(args.gensim_sample) if gensim_sample is None else gensim_sample
    gensim_tcfg = with_params(tcfg, {"word2vec": {"sample": gensim_sample}})
    spark_runs, gensim_runs, spark_cpu, gensim_cpu = [], [], [], []
    w2v_model = gensim_model = None
    for _ in range(args.repeats):
        seconds, w2v_model = spark_word2vec(train_df, tcfg, spark_cpu)
        spark_runs.append(seconds)
        g_total, g_train, gensim_model = gensim_word2vec(corpus, gensim_tcfg, cores, gensim_cpu)
        gensim_runs.append((g_total, g_train))
    s_w2v = min(spark_runs)
    g_w2v, g_w2v_train = min(gensim_runs)
    words = n_tokens * epochs
    w2v_ratio = (words / s_w2v) / (words / g_w2v)
    w2v_cpu_ratio = min(gensim_cpu) / min(spark_cpu)
    vocab = w2v_model.getVectors().count()
    print(f"word2vec project: {s_w2v:.1f}s, words/s {words / s_w2v:,.0f}, per core {words / s_w2v / cores:,.0f} "
          f"(vocabulary {vocab}; runs {', '.join(f'{s:.1f}' for s in spark_runs)}; CPU {min(spark_cpu):.1f}s)",
          flush=True)
    print(f"word2vec gensim:  {g_w2v:.1f}s (training alone {g_w2v_train:.1f}s), words/s {words / g_w2v:,.0f}, "
          f"per core {words / g_w2v / cores:,.0f} (vocabulary {len(gensim_model.wv)}; runs "
          f"{', '.join(f'{s:.1f}' for s, _ in gensim_runs)}; CPU {min(gensim_cpu):.1f}s)", flush=True)
    print(f"word2vec ratio (project / gensim words/s): {w2v_ratio:.2f} (CPU-seconds ratio {w2v_cpu_ratio:.2f}); "
          f"project sample {project_sample:g}, gensim sample {gensim_sample:g}", flush=True)
    like_for_like = None
    if project_sample != gensim_sample:  # the same subsampling on both sides, for the record
        same_cpu: list = []
        same_total, _, _ = gensim_word2vec(corpus, tcfg, cores, same_cpu)
        like_for_like = {"gensim_sample": project_sample, "gensim_seconds": round(same_total, 2),
                         "gensim_words_per_s": round(words / same_total), "ratio": round(same_total / s_w2v, 3),
                         "cpu_ratio": round(same_cpu[0] / min(spark_cpu), 3)}
        print(f"word2vec like-for-like (gensim also sample {project_sample:g}): gensim {same_total:.1f}s, words/s "
              f"{words / same_total:,.0f}, ratio {like_for_like['ratio']:.2f} (CPU-seconds ratio "
              f"{like_for_like['cpu_ratio']:.2f})", flush=True)

    del corpus
    gc.collect()

    # ---- the same sentence vectors for both KMeans: the project's model, written once for numpy
    vec_path = config_mod.local_path(cfg.uri("bench_vectors"))
    vectors_df = (
        w2v_model.transform(train_df.select("doc_id", "sentence_idx", "tokens"))
        .where(topics.vector_norm1(F.col(topics.VECTOR_COL)) > 0)
        .select("doc_id", "sentence_idx", vector_to_array(topics.VECTOR_COL).alias("v"))
    )
    vectors_df.write.mode("overwrite").parquet(str(vec_path))
    x, keys = vectors_numpy(vec_path)
    distance = tcfg["kmeans"]["distance"]
    print(f"vectors: {x.shape[0]} sentences with a vector, {x.shape[1]} dimensions", flush=True)

    # ---- KMeans, interleaved
    spark_km, sk_km, spark_km_cpu, sk_km_cpu = [], [], [], []
    km_model = sk_model = None
    for _ in range(args.repeats):
        seconds, km_model, _ = spark_kmeans(w2v_model, train_df, n_train, tcfg, spark_km_cpu)
        spark_km.append(seconds)
        seconds, sk_model = sklearn_kmeans(x, tcfg, sk_km_cpu)
        sk_km.append(seconds)
    s_km, g_km = min(spark_km), min(sk_km)
    km_ratio = g_km / s_km
    km_cpu_ratio = min(sk_km_cpu) / min(spark_km_cpu)
    s_cost = kmeans_cost(x, np.array(km_model.clusterCenters()), distance)
    g_cost = kmeans_cost(x, sk_model.cluster_centers_, distance)
    rows_per_s = x.shape[0] / s_km
    print(f"kmeans project: {s_km:.1f}s (train sample {tcfg['kmeans']['train_sample_rows'] or 'all rows'}, "
          f"{km_model.summary.numIter} iterations, + assignment of all rows), rows/s per core {rows_per_s / cores:,.0f}, "
          f"cost {s_cost:,.1f} (runs {', '.join(f'{s:.1f}' for s in spark_km)}; CPU {min(spark_km_cpu):.1f}s)",
          flush=True)
    print(f"kmeans sklearn: {g_km:.1f}s ({sk_model.n_iter_} iterations), rows/s per core "
          f"{x.shape[0] / g_km / cores:,.0f}, cost {g_cost:,.1f} (runs {', '.join(f'{s:.1f}' for s in sk_km)}; "
          f"CPU {min(sk_km_cpu):.1f}s)", flush=True)
    print(f"kmeans ratio (sklearn seconds / project seconds): {km_ratio:.2f} (CPU-seconds ratio {km_cpu_ratio:.2f}); "
          f"cost ratio (project / sklearn): {s_cost / g_cost:.3f}", flush=True)

    # ---- accuracy on the benchmark corpus
    quality = Quality(spark, cfg, name, train_df)
    accuracy = {"project": quality.of_model(topics.clustering_model(w2v_model, km_model), train_df),
                "sklearn_on_project_vectors": quality.of_labels(keys, sk_model.labels_)}
    if not args.skip_baseline_quality:
        gx = gensim_sentence_vectors(gensim_model, keys_tokens["tokens"])
        has = np.abs(gx).sum(axis=1) > 0
        gx = gx[has] if not has.all() else gx
        _, gk = sklearn_kmeans(gx, tcfg)
        del gx
        gc.collect()
        gensim_keys = keys_tokens.select(["doc_id", "sentence_idx"]).filter(pa.array(has))
        accuracy["gensim_plus_sklearn"] = quality.of_labels(gensim_keys, gk.labels_)
    for label, q in accuracy.items():
        print(f"accuracy [{label}] on the benchmark corpus: comment_label_accuracy {q['comment_label_accuracy']}, "
              f"purity {q['purity']}", flush=True)

    levers = None
    if args.levers:
        print("levers (each timed once on the benchmark corpus):", flush=True)
        levers = run_levers(spark, tcfg, train_df, n_train, keys_tokens, cores, quality, x, w2v_model)
    del x
    gc.collect()
    demo = demo_quality(spark, args, name, tcfg) if args.quality_comments else None

    ratio = min(w2v_ratio, km_ratio)
    report = {
        "comments": args.comments, "sentences": n_train, "tokens": n_tokens, "vectors": int(len(keys)),
        "cores": cores, "spark": spark.version, "spark_conf_extra": args.spark_conf,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "params": {"word2vec": tcfg["word2vec"], "kmeans": tcfg["kmeans"]},
        "word2vec": {
            "project_seconds": round(s_w2v, 2), "project_runs": [round(s, 2) for s in spark_runs],
            "gensim_seconds": round(g_w2v, 2), "gensim_train_seconds": round(g_w2v_train, 2),
            "gensim_runs": [round(s, 2) for s, _ in gensim_runs],
            "project_words_per_s": round(words / s_w2v), "gensim_words_per_s": round(words / g_w2v),
            "project_words_per_s_per_core": round(words / s_w2v / cores),
            "gensim_words_per_s_per_core": round(words / g_w2v / cores),
            "project_cpu_seconds": round(min(spark_cpu), 2), "gensim_cpu_seconds": round(min(gensim_cpu), 2),
            "vocabulary": vocab, "gensim_vocabulary": len(gensim_model.wv), "ratio": round(w2v_ratio, 3),
            "cpu_ratio": round(w2v_cpu_ratio, 3), "project_sample": project_sample, "gensim_sample": gensim_sample,
            "like_for_like_subsampling": like_for_like,
        },
        "kmeans": {
            "project_seconds": round(s_km, 2), "project_runs": [round(s, 2) for s in spark_km],
            "sklearn_seconds": round(g_km, 2), "sklearn_runs": [round(s, 2) for s in sk_km],
            "project_iterations": km_model.summary.numIter, "sklearn_iterations": int(sk_model.n_iter_),
            "project_cost": round(s_cost, 2), "sklearn_cost": round(g_cost, 2),
            "project_cpu_seconds": round(min(spark_km_cpu), 2), "sklearn_cpu_seconds": round(min(sk_km_cpu), 2),
            "cost_ratio": round(s_cost / g_cost, 4), "ratio": round(km_ratio, 3), "cpu_ratio": round(km_cpu_ratio, 3),
        },
        "accuracy_benchmark_corpus": accuracy,
        "accuracy_demo": demo,
        "levers": levers,
        "ratio": round(ratio, 3),
    }
    write_results(report)
    train_df.unpersist()
    spark.stop()
    print(f"ratio: {ratio:.2f}")
    return 0


def write_results(report: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / "topics"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    w, km = report["word2vec"], report["kmeans"]
    p = report["params"]
    lines = [
        f"# topic model benchmark, {report['comments']:,} comments ({report['tokens']:,} tokens, "
        f"{report['sentences']:,} sentences)",
        "",
        f"{report['date']}, Spark {report['spark']}, {report['cores']} cores"
        + (f", extra Spark conf `{' '.join(report['spark_conf_extra'])}`" if report["spark_conf_extra"] else "")
        + f". **ratio (smaller of the two): {report['ratio']}**",
        "",
        f"Project settings: word2vec {json.dumps(p['word2vec'])}; kmeans {json.dumps(p['kmeans'])}.",
        "",
        "| step | project | baseline | ratio | CPU-seconds ratio |",
        "|---|---:|---:|---:|---:|",
        f"| Word2Vec (words/s) | {w['project_words_per_s']:,} ({w['project_seconds']}s) | gensim {w['gensim_words_per_s']:,} "
        f"({w['gensim_seconds']}s; training alone {w['gensim_train_seconds']}s; sample {w.get('gensim_sample', 0)}) | "
        f"{w['ratio']} | {w['cpu_ratio']} |",
    ]
    same = w.get("like_for_like_subsampling")
    if same:
        lines.append(f"| Word2Vec, gensim with the project's subsampling too (sample {same['gensim_sample']}) | "
                     f"{w['project_words_per_s']:,} | gensim {same['gensim_words_per_s']:,} ({same['gensim_seconds']}s) | "
                     f"{same['ratio']} | {same['cpu_ratio']} |")
    lines += [
        f"| KMeans k={p['kmeans']['k']} (seconds, incl. assigning all rows) | {km['project_seconds']} "
        f"({km['project_iterations']} it., cost {km['project_cost']:,}) | scikit-learn lloyd {km['sklearn_seconds']} "
        f"({km['sklearn_iterations']} it., cost {km['sklearn_cost']:,}) | {km['ratio']} | {km['cpu_ratio']} |",
        "",
        "## Comment-level accuracy (planted truth)",
        "",
        "| clustering | corpus | comment_label_accuracy | purity |",
        "|---|---|---:|---:|",
    ]
    for label, q in report["accuracy_benchmark_corpus"].items():
        lines.append(f"| {label} | benchmark | {q['comment_label_accuracy']} | {q['purity']} |")
    for label, q in (report.get("accuracy_demo") or {}).items():
        lines.append(f"| train_topics, {label} settings | demo | {q['comment_label_accuracy']} | {q['purity']} |")
    levers = report.get("levers")
    if levers:
        lines += ["", "## Levers (one timed run each, same corpus)", "",
                  "| Word2Vec lever | seconds (CPU) | gensim, same settings, seconds (CPU) | ratio | CPU ratio | accuracy |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['lever']} | {r['seconds']} ({r['cpu_seconds']}) | {r['gensim_seconds']} ({r['gensim_cpu_seconds']}) | "
                  f"{r['ratio']} | {r['cpu_ratio']} | {r['comment_label_accuracy']} |" for r in levers["word2vec"]]
        lines += ["", "| KMeans lever | seconds incl. assignment (CPU) | iterations | cost | accuracy |",
                  "|---|---:|---:|---:|---:|"]
        lines += [f"| {r['lever']} | {r['seconds']} ({r['cpu_seconds']}) | {r.get('iterations', '')} | {r.get('cost', '')} | "
                  f"{r.get('comment_label_accuracy', '')} |" for r in levers["kmeans"]]
        lines += ["", "| Spark SQL setting | Word2Vec + KMeans + assignment, seconds (CPU) |", "|---|---:|"]
        lines += [f"| {r['lever']} | {r['seconds']} ({r['cpu_seconds']}) |" for r in levers["spark_sql"]]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
