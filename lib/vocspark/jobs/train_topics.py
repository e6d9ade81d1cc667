"""train_topics: Word2Vec + KMeans over the sentences of the chosen sources -> a new model version.

Reads ``sentences`` of ``topics.<name>.sources`` for the ``train_months`` months up to ``--until`` (default: the
latest month present), fits :mod:`vocspark.models.topics`, and writes, through
:class:`vocspark.models.registry.ModelRegistry`, the version ``--version`` (default: a new unique id):

- the Spark ML ``PipelineModel`` ([Word2Vec, FlagZeroVectors, KMeans, NullClusterWithoutVector]: loading it and
  calling ``transform`` gives each sentence its cluster, null without an in-vocabulary token) and
  ``metadata.json`` (training range, params, cluster sizes, KMeans cost, silhouette on a sample, vocabulary size);
- ``report/``: ``clusters.json``, ``terms.csv``, ``examples.csv`` and ``report.md`` for the analyst who labels
  the clusters (size, distinctive unigrams and bigrams by c-TF-IDF, sentences nearest to the centroid).

Versions are immutable: training an existing version fails before any Spark work. The registry makes the new
version the ``candidate``. Until the promotion job exists, training also makes it the ``champion`` ONLY when the
model has no champion yet (reason "first trained version: nothing to compare against"); otherwise the champion
stays, and moving it is a promotion. (A model that had only a legacy ``LATEST`` keeps that version as champion.)

Quality against the demo's planted truth is not computed here: ``python -m vocspark.demo.topic_quality`` does it
for the demo and benchmarks.

Manifest ``manifests/train_topics/<run_id>.json`` (run id: ``--run-id``, default a new unique id, so two
trainings of the same version never overwrite each other's manifest): read = sentences read; written =
sentences clustered; filtered: ``no_tokens`` (empty after cleaning), ``no_vector`` (no token in the vocabulary).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io as io_std
import json
import logging
from dataclasses import dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import args as args_mod
from vocspark import io, runtime
from vocspark.args import month_range
from vocspark.config import Config
from vocspark.models import topics
from vocspark.models.registry import ModelRegistry
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "train_topics"
FIRST_VERSION_REASON = "first trained version: nothing to compare against"


@dataclass(frozen=True)
class Options(runtime.Options):
    model: str | None = None
    until: str | None = None
    as_of: str | None = None
    version: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="topic model name from config `topics` (default: the first)")
    parser.add_argument("--until", default=None, help="last training month yyyy-MM (default: the month before "
                        "--as-of, else the latest present)")
    parser.add_argument("--as-of", default=None, help="scheduled retrain day yyyy-MM-dd (date-exact reruns)")
    parser.add_argument("--version", default=None, help="new model version (default: a new unique id); versions "
                        "are immutable")


def training_sentences(spark: SparkSession, cfg: Config, tcfg: dict, until: str | None) -> tuple[DataFrame, list[str]]:
    """The training sentences (source, doc_id, sentence_idx, month, sentence, tokens) and their months."""
    uri = cfg.uri("sentences")
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


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> dict[str, Any]:
    options = runtime.options_from(args, Options)
    name = topics.model_name(cfg, options.model)
    tcfg = cfg["topics"][name]
    registry = ModelRegistry.of(spark, cfg)
    with JobRun(spark, cfg, JOB, options, inputs={"sentences": cfg.uri("sentences")}) as run:
        version = options.version or run.run_id
        uri = registry.begin_version(name, version)  # an existing version fails here, before any Spark work
        with run.step("read") as step:
            until = options.until or (args_mod.month_before(options.as_of) if options.as_of else None)
            sentences_df, months = training_sentences(spark, cfg, tcfg, until)
            has_tokens = F.size(F.col("tokens")) > 0
            train_df = sentences_df.where(has_tokens).persist(StorageLevel.MEMORY_AND_DISK)
            counts = sentences_df.select(has_tokens.alias("has_tokens")).groupBy("has_tokens").count().collect()
            n_read = sum(r["count"] for r in counts)
            n_no_tokens = sum(r["count"] for r in counts if not r["has_tokens"])
            step.rows = n_read
        with run.step("fit") as step:
            model = topics.fit(train_df, tcfg)
        fit_seconds = run.seconds
        with run.step("assign") as step:
            clustered_df = topics.assign(model, train_df).persist(StorageLevel.MEMORY_AND_DISK)
            sizes = topics.cluster_sizes(clustered_df)
            n_clustered = step.rows = sum(sizes.values())
        run.manifest.read, run.manifest.written = n_read, n_clustered
        run.manifest.filtered = {"no_tokens": n_no_tokens, "no_vector": n_read - n_no_tokens - n_clustered}

        w2v_model, km_model = topics.word2vec_stage(model), topics.kmeans_stage(model)
        with run.step("save model"):
            model.write().save(uri)
        with run.step("report") as step:
            report = write_report(spark, uri, clustered_df, km_model, sizes, tcfg)
            step.rows = len(report)
        with run.step("metadata"):
            metadata = {
                "name": name,
                "version": version,
                "run_id": run.run_id,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "training": {
                    "sources": tcfg["sources"],
                    "months": months,
                    "sentences_read": n_read,
                    "sentences_clustered": n_clustered,
                    "documents": clustered_df.select("doc_id").distinct().count(),
                },
                "params": {"word2vec": tcfg["word2vec"], "kmeans": tcfg["kmeans"]},
                "vector_rule": "sum of in-vocabulary token vectors / number of all tokens; no in-vocabulary token "
                               "-> no cluster",
                "vocabulary_size": w2v_model.getVectors().count(),
                "k": len(km_model.clusterCenters()),
                "cluster_sizes": {str(k): v for k, v in sorted(sizes.items())},
                "training_cost": float(km_model.summary.trainingCost),
                "silhouette": topics.silhouette(
                    clustered_df, tcfg["kmeans"]["distance"], tcfg["report"]["silhouette_sample"], n_clustered,
                    tcfg["kmeans"]["seed"],
                ),
                "seconds": {"fit": round(fit_seconds, 3), "total": round(run.seconds, 3)},
                "versions": io.versions(spark),
            }
        registry.register(name, version, metadata, run_id=run.run_id, first_champion_reason=FIRST_VERSION_REASON)
        clustered_df.unpersist()
        train_df.unpersist()
        run.manifest.outputs = {"model": uri, "report": uri + "/report"}
        run.manifest.extra.update(version=version, k=metadata["k"], report_clusters=len(report),
                                  aliases=registry.aliases(name))
    log.info("train_topics: model %s version %s at %s (%d clusters, %.1fs)", name, version, uri, metadata["k"],
             run.seconds)
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
