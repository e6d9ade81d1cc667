"""train_topics: Word2Vec + KMeans over the sentences of the chosen sources -> ``models/<name>/<version>/``.

Reads ``sentences`` of ``topics.<name>.sources`` for the ``train_months`` months up to ``--until`` (default: the
latest month present), fits :mod:`vocspark.models.topics`, and writes under ``models/<name>/<version>/``:

- the Spark ML ``PipelineModel`` (Word2Vec, KMeans) and ``metadata.json`` (training range, params, cluster sizes,
  KMeans cost, silhouette on a sample, vocabulary size, and, when the demo truth is there, purity and adjusted
  Rand index against the planted subjects);
- ``report/``: ``clusters.json``, ``terms.csv``, ``examples.csv`` and ``report.md`` for the analyst who labels
  the clusters (size, distinctive unigrams and bigrams by c-TF-IDF, sentences nearest to the centroid).

``models/<name>/LATEST`` names the newest version. Manifest: read = sentences read; written = sentences
clustered; filtered: ``no_tokens`` (empty after cleaning), ``no_vector`` (no token in the vocabulary).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io as io_std
import json
import logging
import time
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import Config, ConfigError
from vocspark.models import topics

log = logging.getLogger(__name__)
JOB = "train_topics"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="topic model name from config `topics` (default: the first)")
    parser.add_argument("--until", default=None, help="last training month yyyy-MM (default: latest present)")
    parser.add_argument("--version", default=None, help="model version (default: UTC time + random suffix)")
    parser.add_argument("--truth", default=None, help="planted truth folder (default: <base>/truth when present)")


def model_name(cfg: Config, name: str | None) -> str:
    if not cfg["topics"]:
        raise ConfigError(f"{cfg.origin}: no topic model under `topics`")
    name = name or next(iter(cfg["topics"]))
    if name not in cfg["topics"]:
        raise ConfigError(f"{cfg.origin}: unknown topic model `topics.{name}` (have: {', '.join(cfg['topics'])})")
    return name


def model_uri(cfg: Config, name: str, version: str) -> str:
    return cfg.uri("models", name, version)


def latest_version(spark: SparkSession, cfg: Config, name: str) -> str:
    uri = cfg.uri("models", name, "LATEST")
    if not io.path_exists(spark, uri):
        raise io.MissingInputError(f"no trained version of topic model `{name}`: {uri} does not exist")
    return io.read_text(spark, uri).strip()


def month_range(until: str, months: int) -> list[str]:
    """The ``months`` months ending with ``until`` (yyyy-MM), oldest first."""
    year, month = (int(x) for x in until.split("-"))
    out = []
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def training_sentences(spark: SparkSession, cfg: Config, tcfg: dict, until: str | None) -> tuple[DataFrame, list[str]]:
    uri = cfg.uri("sentences")
    io.require_inputs(spark, {"sentences": uri})
    sentences_df = io.read_dataset(spark, uri).where(F.col("source").isin(tcfg["sources"]))
    if until is None:
        until = sentences_df.agg(F.max("month")).first()[0]  # one row
        if until is None:
            raise io.MissingInputError(f"no sentences of sources {tcfg['sources']} under {uri}")
    months = month_range(until, tcfg["train_months"])
    selected_df = sentences_df.where(F.col("month").isin(months)).select(
        "source", "doc_id", "sentence_idx", "month", "sentence", "tokens"
    )
    return selected_df, months


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace) -> dict[str, Any]:
    name = model_name(cfg, getattr(args, "model", None))
    tcfg = cfg["topics"][name]
    version = getattr(args, "version", None) or io.new_run_id()
    run_id = getattr(args, "run_id", None) or version
    t0 = time.monotonic()
    sentences_df, months = training_sentences(spark, cfg, tcfg, getattr(args, "until", None))
    manifest = io.Manifest(JOB, run_id, args=_args_dict(args), inputs={"sentences": cfg.uri("sentences")})

    has_tokens = F.size(F.col("tokens")) > 0
    train_df = sentences_df.where(has_tokens).persist(StorageLevel.MEMORY_AND_DISK)
    model = topics.fit(train_df, tcfg)
    t_fit = time.monotonic()
    clustered_df = topics.assign(model, train_df).persist(StorageLevel.MEMORY_AND_DISK)
    counts = (
        sentences_df.select(has_tokens.alias("has_tokens"))
        .groupBy("has_tokens").count().collect()
    )
    n_read = sum(r["count"] for r in counts)
    n_no_tokens = sum(r["count"] for r in counts if not r["has_tokens"])
    sizes = topics.cluster_sizes(clustered_df)
    n_clustered = sum(sizes.values())
    manifest.read, manifest.written = n_read, n_clustered
    manifest.filtered = {"no_tokens": n_no_tokens, "no_vector": n_read - n_no_tokens - n_clustered}

    w2v_model, km_model = model.stages
    uri = model_uri(cfg, name, version)
    model.write().overwrite().save(uri)
    report = write_report(spark, uri, clustered_df, km_model, sizes, tcfg)
    quality = planted_quality(spark, cfg, name, version, clustered_df, sizes, getattr(args, "truth", None), uri)
    metadata = {
        "name": name,
        "version": version,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "training": {
            "sources": tcfg["sources"],
            "months": months,
            "sentences_read": n_read,
            "sentences_clustered": n_clustered,
            "documents": clustered_df.select("doc_id").distinct().count(),
        },
        "params": {"word2vec": tcfg["word2vec"], "kmeans": tcfg["kmeans"]},
        "vector_rule": "sum of in-vocabulary token vectors / number of all tokens; no in-vocabulary token -> no cluster",
        "vocabulary_size": w2v_model.getVectors().count(),
        "k": len(km_model.clusterCenters()),
        "cluster_sizes": {str(k): v for k, v in sorted(sizes.items())},
        "training_cost": float(km_model.summary.trainingCost),
        "silhouette": topics.silhouette(
            clustered_df, tcfg["kmeans"]["distance"], tcfg["report"]["silhouette_sample"], n_clustered,
            tcfg["kmeans"]["seed"],
        ),
        "quality_vs_planted_truth": quality,
        "seconds": {"fit": round(t_fit - t0, 3), "total": round(time.monotonic() - t0, 3)},
        "versions": io.versions(spark),
    }
    io.write_text(spark, uri + "/metadata.json", json.dumps(metadata, indent=2) + "\n")
    io.write_text(spark, cfg.uri("models", name, "LATEST"), version + "\n")
    clustered_df.unpersist()
    train_df.unpersist()
    manifest.outputs = {"model": uri, "report": uri + "/report"}
    manifest.extra = {"version": version, "k": metadata["k"], "quality": quality, "report_clusters": len(report)}
    manifest.close(spark, cfg.base_uri)
    log.info("train_topics: model %s version %s at %s (%d clusters, %.1fs)", name, version, uri, metadata["k"],
             time.monotonic() - t0)
    return metadata


def write_report(spark, uri: str, clustered_df: DataFrame, km_model, sizes: dict[int, int], tcfg: dict) -> list:
    """Cluster report for the analyst (k clusters x top terms: small tables)."""
    rcfg = tcfg["report"]
    terms = topics.distinctive_terms(clustered_df, rcfg["top_terms"]).orderBy("cluster", "rank").collect()
    examples = topics.example_sentences(
        clustered_df, [list(c) for c in km_model.clusterCenters()], rcfg["examples"], tcfg["kmeans"]["distance"]
    ).orderBy("cluster", "rank").collect()
    clusters = []
    for cluster in sorted(sizes):
        clusters.append(
            {
                "cluster": cluster,
                "size": sizes[cluster],
                "top_terms": [r["term"] for r in terms if r["cluster"] == cluster],
                "examples": [r["sentence"] for r in examples if r["cluster"] == cluster],
            }
        )
    io.write_text(spark, uri + "/report/clusters.json", json.dumps({"clusters": clusters}, ensure_ascii=False, indent=1))
    io.write_text(spark, uri + "/report/terms.csv", csv_text(["cluster", "rank", "term", "count", "score"], terms))
    io.write_text(
        spark, uri + "/report/examples.csv",
        csv_text(["cluster", "rank", "doc_id", "sentence_idx", "distance", "sentence"], examples),
    )
    io.write_text(spark, uri + "/report/report.md", report_markdown(clusters))
    return clusters


def csv_text(columns: list[str], rows) -> str:
    buf = io_std.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[row[c] for c in columns] for row in rows])
    return buf.getvalue()


def report_markdown(clusters: list[dict]) -> str:
    total = sum(c["size"] for c in clusters) or 1
    lines = ["# Cluster report", "", f"{len(clusters)} clusters, {total} sentences.", "",
             "| cluster | size | share | distinctive terms (c-TF-IDF) | example |", "|---:|---:|---:|---|---|"]
    for c in sorted(clusters, key=lambda c: -c["size"]):
        example = (c["examples"] or [""])[0].replace("|", "\\|").replace("\n", " ")[:120]
        lines.append(
            f"| {c['cluster']} | {c['size']} | {c['size'] / total:.1%} | {', '.join(c['top_terms'])} | {example} |"
        )
    return "\n".join(lines) + "\n"


def planted_quality(
    spark, cfg: Config, name: str, version: str, clustered_df: DataFrame, sizes: dict[int, int], truth: str | None,
    uri: str,
) -> dict | None:
    """Quality against the demo's planted truth, when it is there (demo and benchmarks only).

    - purity and adjusted Rand index of the clusters against the planted sentence subjects;
    - comment-level label accuracy after applying a mapping generated from the planted truth (each cluster gets
      its majority planted label): the label :func:`vocspark.jobs.infer_topics.comment_labels` gives each
      training comment from its clusters, against the label the same rule gives from the planted sentence
      labels. The generated mapping is saved as ``<model>/demo_mapping.yaml`` (clearly marked demo only).
    """
    import yaml

    from vocspark.demo.truth import mapping_from_truth, sentence_truth  # demo-only dependency
    from vocspark.jobs.infer_topics import comment_labels, label_sentences
    from vocspark.models.topic_mapping import DEFAULT_CATEGORIES, parse_mapping

    truth_df = sentence_truth(spark, truth or cfg.uri("truth"))
    if truth_df is None:
        return None
    truth_df = truth_df.persist(StorageLevel.MEMORY_AND_DISK)
    table = clustered_df.join(truth_df, ["doc_id", "sentence_idx"]).groupBy("cluster", "subject").count().collect()
    quality = topics.contingency_quality([(r["cluster"], r["subject"], r["count"]) for r in table])  # k x subjects
    quality["matched_sentences"] = quality.pop("n")

    mapping_dict = mapping_from_truth(clustered_df, truth_df, name, version, list(DEFAULT_CATEGORIES))
    mapping = parse_mapping(mapping_dict, origin="demo mapping")
    io.write_text(spark, uri + "/demo_mapping.yaml", yaml.safe_dump(mapping_dict, allow_unicode=True, sort_keys=False))
    sizes_df = spark.createDataFrame(list(sizes.items()), "cluster int, train_size long")
    predicted_df = comment_labels(label_sentences(clustered_df, mapping.clusters_df(spark), sizes_df))
    severity_of = F.create_map(*[x for i, c in enumerate(mapping.categories) for x in (F.lit(c), F.lit(i))])
    severity = severity_of[F.col("category")]
    planted_df = comment_labels(
        truth_df.select(
            "doc_id", "label", "subject", "category", severity.alias("severity"),
            F.lit(0).cast("long").alias("train_size"), F.lit(0).alias("cluster"),
        )
    )
    docs_df = clustered_df.select("doc_id").distinct()
    scored = (
        docs_df.join(planted_df.select("doc_id", F.col("label").alias("planted")), "doc_id")
        .join(predicted_df.select("doc_id", F.col("label").alias("predicted")), "doc_id", "left")
        .agg(
            F.count(F.lit(1)).alias("comments"),
            F.sum(F.when(F.col("planted") == F.col("predicted"), 1).otherwise(0)).alias("correct"),
        )
        .first()
    )
    truth_df.unpersist()
    comments = int(scored["comments"] or 0)
    quality["comment_label_accuracy"] = round(int(scored["correct"] or 0) / comments, 6) if comments else None
    quality["comments_scored"] = comments
    quality["demo_mapping"] = uri + "/demo_mapping.yaml"
    quality["labelled_clusters"] = sum(1 for v in mapping.clusters.values() if v is not None)
    return quality


def _args_dict(args: argparse.Namespace) -> dict:
    return {k: v for k, v in vars(args).items() if k != "JOB_NAME"}
