"""infer_topics: label every comment with a topic model and the analyst's mapping.

1. Each sentence gets its cluster (:func:`vocspark.models.topics.assign`) and, through the mapping, its label,
   subject, category and the category's severity.
2. Each comment gets one label (:func:`comment_labels`): among its labelled sentences, keep those of the most
   severe category present; the most frequent label among them wins; a tie goes to the label whose cluster had
   more training members, then to the lower cluster id.
3. Comments with no labelled sentence (no sentence, no in-vocabulary token, or only unlabelled clusters) get
   ``unassigned``. The clusters that received sentences but have no label are reported with their top terms
   and counts, in the log and in ``reports/infer_topics/<run_id>/unlabelled_clusters.{json,md}``.
4. Output ``predictions/topics/month=yyyy-MM/``: source, doc_id, user_id, created_at, label, subject, category,
   category_name (the category's display name in the comment's language), cluster_ids (the sentences' clusters
   in sentence order, null where a sentence has none), model, model_version.

Whole months are scored (``--months``, or ``--last-days N`` = the months that the last N days touch), and written
with dynamic partition overwrite, so the weekly run re-scores the current month and a rerun leaves the same rows.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import yaml

from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import args as args_mod
from vocspark import io
from vocspark.config import PROJECT_ROOT, Config, ConfigError, to_uri
from vocspark.jobs.train_topics import latest_version, model_name, model_uri
from vocspark.models import topics
from vocspark.models.topic_mapping import UNASSIGNED, TopicMapping, parse_mapping
from vocspark.schemas import conform

log = logging.getLogger(__name__)
JOB = "infer_topics"

PREDICTIONS = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("doc_id", T.StringType(), False),
        T.StructField("user_id", T.StringType(), True),
        T.StructField("created_at", T.TimestampType(), False),
        T.StructField("label", T.StringType(), False),
        T.StructField("subject", T.StringType(), True),
        T.StructField("category", T.StringType(), True),
        T.StructField("category_name", T.StringType(), True),
        T.StructField("cluster_ids", T.ArrayType(T.IntegerType(), True), False),
        T.StructField("model", T.StringType(), False),
        T.StructField("model_version", T.StringType(), False),
        T.StructField("month", T.StringType(), False),
    ]
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="topic model name from config `topics` (default: the first)")
    parser.add_argument("--version", default=None, help="model version (default: models/<name>/LATEST)")
    parser.add_argument("--mapping", default=None, help="mapping YAML (default: topics.<name>.mapping or conf/topics/<name>.yaml)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--months", default=None, help="comma-separated months yyyy-MM to score (default: all)")
    group.add_argument("--last-days", type=int, default=None, help="score the months touched by the last N days")
    parser.add_argument("--as-of", default=None, help="end date for --last-days, yyyy-MM-dd (default: today UTC)")


# ------------------------------------------------------------------------------------------ transformations
def label_sentences(clustered_df: DataFrame, labels_df: DataFrame, sizes_df: DataFrame) -> DataFrame:
    """Sentences + label, subject, category, severity (null when the cluster has no label) and train_size
    (the cluster's number of training sentences)."""
    return clustered_df.join(F.broadcast(labels_df), "cluster", "left").join(F.broadcast(sizes_df), "cluster", "left")


def comment_labels(labelled_df: DataFrame) -> DataFrame:
    """One row per comment that has a labelled sentence: doc_id, label, subject, category, severity.

    Rule: keep the labelled sentences of the most severe category in the comment; the label that occurs most
    often among them wins; ties go to the label whose cluster had more training members (the largest cluster
    that produced the label in this comment), then to the lower cluster id.
    """
    by_doc = Window.partitionBy("doc_id").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    most_severe_df = (
        labelled_df.where(F.col("label").isNotNull())
        .withColumn("max_severity", F.max("severity").over(by_doc))
        .where(F.col("severity") == F.col("max_severity"))
    )
    votes_df = most_severe_df.groupBy("doc_id", "label", "subject", "category", "severity").agg(
        F.count(F.lit(1)).alias("votes"),
        F.max("train_size").alias("train_size"),
        F.min("cluster").alias("min_cluster"),
    )
    ranked = Window.partitionBy("doc_id").orderBy(
        F.col("votes").desc(), F.col("train_size").desc(), F.col("min_cluster").asc(), F.col("label").asc()
    )
    return (
        votes_df.withColumn("rank", F.row_number().over(ranked))
        .where(F.col("rank") == 1)
        .select("doc_id", "label", "subject", "category", "severity")
    )


def cluster_ids(clustered_df: DataFrame) -> DataFrame:
    """doc_id, cluster_ids: the sentences' clusters in sentence order."""
    return clustered_df.groupBy("doc_id").agg(
        F.transform(
            F.array_sort(F.collect_list(F.struct(F.col("sentence_idx"), F.col("cluster")))), lambda s: s["cluster"]
        ).alias("cluster_ids")
    )


def category_names_df(spark: SparkSession, mapping: TopicMapping) -> DataFrame:
    rows = [(lang, cat, name) for lang, names in mapping.category_names.items() for cat, name in names.items()]
    return spark.createDataFrame(rows, "lang string, category string, category_name string")


def predictions(
    docs_df: DataFrame, clustered_df: DataFrame, winners_df: DataFrame, names_df: DataFrame, model: str, version: str
) -> DataFrame:
    """Every comment of ``docs_df`` with its label (``unassigned`` when it has none)."""
    return (
        docs_df.select("source", "doc_id", "user_id", "created_at", "month", "lang")
        .join(winners_df, "doc_id", "left")
        .join(cluster_ids(clustered_df), "doc_id", "left")
        .join(F.broadcast(names_df), ["lang", "category"], "left")
        .select(
            "source", "doc_id", "user_id", "created_at",
            F.coalesce(F.col("label"), F.lit(UNASSIGNED)).alias("label"),
            "subject", "category", "category_name",
            F.coalesce(F.col("cluster_ids"), F.array().cast("array<int>")).alias("cluster_ids"),
            F.lit(model).alias("model"), F.lit(version).alias("model_version"), "month",
        )
    )


def unlabelled_clusters(clustered_df: DataFrame, mapping: TopicMapping) -> DataFrame:
    """Clusters that received sentences in this run but have no label: cluster, sentences (k rows at most)."""
    labelled = [c for c, label in mapping.clusters.items() if label is not None]
    return (
        clustered_df.where(F.col("cluster").isNotNull() & ~F.col("cluster").isin(labelled))
        .groupBy("cluster").agg(F.count(F.lit(1)).alias("sentences"))
    )


# ------------------------------------------------------------------------------------------ job
def months_to_score(args: argparse.Namespace) -> list[str] | None:
    """``--months``, or the whole months ``--last-days N`` before ``--as-of`` touch, or None (every month)."""
    return args_mod.selected_months(args)


def mapping_path(cfg: Config, name: str, explicit: str | None) -> str:
    """``--mapping``, else ``topics.<name>.mapping``, else ``conf/topics/<name>.yaml``; as a URI (local or S3)."""
    path = explicit or cfg["topics"][name]["mapping"] or str(PROJECT_ROOT / "conf" / "topics" / f"{name}.yaml")
    return to_uri(path, Path.cwd())


def read_mapping(spark: SparkSession, uri: str) -> TopicMapping:
    """Load a mapping from a local path or an S3 URI (so Glue and EMR jobs can keep it next to the data)."""
    if not io.path_exists(spark, uri):
        raise ConfigError(f"topic mapping not found: {uri}")
    return parse_mapping(yaml.safe_load(io.read_text(spark, uri)), origin=uri)


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace) -> io.Manifest:
    name = model_name(cfg, getattr(args, "model", None))
    tcfg = cfg["topics"][name]
    run_id = getattr(args, "run_id", None) or io.new_run_id()
    inputs = {"documents_clean": cfg.uri("documents_clean"), "sentences": cfg.uri("sentences")}
    io.require_inputs(spark, inputs)
    version = getattr(args, "version", None) or latest_version(spark, cfg, name)
    uri = model_uri(cfg, name, version)
    io.require_inputs(spark, {"model": uri})
    metadata = json.loads(io.read_text(spark, uri + "/metadata.json"))
    mapping = read_mapping(spark, mapping_path(cfg, name, getattr(args, "mapping", None)))
    mapping.check_model(name, version, metadata["k"])  # before any Spark work
    model = PipelineModel.load(uri)
    manifest = io.Manifest(JOB, run_id, args={k: v for k, v in vars(args).items() if k != "JOB_NAME"},
                           inputs={**inputs, "model": uri, "mapping": mapping.origin})
    t0 = time.monotonic()

    months = months_to_score(args)
    docs_df = io.read_dataset(spark, cfg.uri("documents_clean")).where(F.col("source").isin(tcfg["sources"]))
    sentences_df = io.read_dataset(spark, cfg.uri("sentences")).where(F.col("source").isin(tcfg["sources"]))
    if months is not None:
        docs_df = docs_df.where(F.col("month").isin(months))
        sentences_df = sentences_df.where(F.col("month").isin(months))

    clustered_df = (
        topics.assign(model, sentences_df.select("doc_id", "sentence_idx", "tokens"))
        .select("doc_id", "sentence_idx", "cluster")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    sizes_df = spark.createDataFrame(
        [(int(c), int(n)) for c, n in metadata["cluster_sizes"].items()], "cluster int, train_size long"
    )
    labelled_df = label_sentences(clustered_df, mapping.clusters_df(spark), sizes_df)
    winners_df = comment_labels(labelled_df)
    out_df = conform(
        predictions(docs_df, clustered_df, winners_df, category_names_df(spark, mapping), name, version), PREDICTIONS
    )

    out_uri = cfg.uri("predictions", "topics")
    out_df = out_df.persist(StorageLevel.MEMORY_AND_DISK)
    label_counts = {r["label"]: r["count"] for r in out_df.groupBy("label").count().collect()}  # labels: small
    manifest.read = manifest.written = sum(label_counts.values())
    io.write_partitioned(out_df, out_uri, ["month"])
    unlabelled = report_unlabelled(spark, cfg, run_id, clustered_df, mapping, uri)
    manifest.outputs = {"predictions": out_uri}
    manifest.extra = {
        "model_version": version,
        "labels": dict(sorted(label_counts.items())),
        "unassigned": label_counts.get(UNASSIGNED, 0),
        "unlabelled_clusters": [u["cluster"] for u in unlabelled],
        "seconds": round(time.monotonic() - t0, 3),
    }
    out_df.unpersist()
    clustered_df.unpersist()
    manifest.close(spark, cfg.base_uri)
    return manifest


def report_unlabelled(spark, cfg: Config, run_id: str, clustered_df: DataFrame, mapping: TopicMapping, uri: str) -> list:
    rows = unlabelled_clusters(clustered_df, mapping).orderBy(F.col("sentences").desc(), "cluster").collect()
    report = json.loads(io.read_text(spark, uri + "/report/clusters.json")) if io.path_exists(spark, uri + "/report/clusters.json") else {"clusters": []}
    terms = {c["cluster"]: c["top_terms"] for c in report["clusters"]}
    out = [{"cluster": r["cluster"], "sentences": r["sentences"], "top_terms": terms.get(r["cluster"], [])} for r in rows]
    base = cfg.uri("reports", JOB, run_id)
    io.write_text(spark, base + "/unlabelled_clusters.json", json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    lines = ["# Clusters with sentences but no label", "", "| cluster | sentences | top terms |", "|---:|---:|---|"]
    lines += [f"| {u['cluster']} | {u['sentences']} | {', '.join(u['top_terms'])} |" for u in out]
    io.write_text(spark, base + "/unlabelled_clusters.md", "\n".join(lines) + "\n")
    for u in out:
        log.warning("infer_topics: cluster %d has no label: %d sentences; top terms: %s",
                    u["cluster"], u["sentences"], ", ".join(u["top_terms"][:8]))
    return out
