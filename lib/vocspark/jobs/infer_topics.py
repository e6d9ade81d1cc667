"""infer_topics: label every comment with a topic model and the analyst's mapping.

read -> transform -> conform -> write:

1. The model version is ``--version``, default the model's ``champion`` in the registry
   (:class:`vocspark.models.registry.ModelRegistry`). The mapping (``--mapping``, else ``topics.<name>.mapping``,
   else ``conf/topics/<name>.yaml``) must have been written for that version: checked before any Spark work.
2. :func:`vocspark.models.topics.scoring_model` appends the mapping and the comment vote to the saved model, so
   one ``PipelineModel.transform`` of the sentences gives one row per comment with the ``predictions/topics``
   contract (:data:`vocspark.schemas.PREDICTIONS_TOPICS`). The rules are documented on the stages
   (:mod:`vocspark.models.topic_stages`): each sentence's cluster (null without an in-vocabulary token), its
   label, subject, category and severity from the mapping; each comment's label: among its labelled sentences,
   those of the most severe category; the most frequent label among them wins; a tie goes to the label whose
   cluster had more training members, then to the lower cluster id. Comments with no labelled sentence get
   ``unassigned``.
3. Comments with no sentence at all (in ``documents_clean`` but not in ``sentences``) are written too, as
   ``unassigned`` with empty ``cluster_ids``.
4. The clusters that received sentences but have no label are reported with their top terms and counts, in the
   log and in ``reports/infer_topics/<run_id>/unlabelled_clusters.{json,md}``.

Output ``predictions/topics/month=yyyy-MM/``. Whole months are scored (``--months``, or ``--last-days N`` = the
months that the last N days touch), and written with dynamic partition overwrite, so the weekly run re-scores the
current month and a rerun leaves the same rows.
"""
from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import args as args_mod
from vocspark import io, runtime
from vocspark.config import Config
from vocspark.models import topic_mapping, topics
from vocspark.models.registry import ModelRegistry
from vocspark.models.topic_mapping import UNASSIGNED, TopicMapping
from vocspark.runtime import JobRun
from vocspark.schemas import PREDICTIONS_TOPICS, conform

log = logging.getLogger(__name__)
JOB = "infer_topics"



@dataclass(frozen=True)
class Options(runtime.Options):
    model: str | None = None
    version: str | None = None
    mapping: str | None = None
    months: str | None = None
    last_days: int | None = None
    as_of: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="topic model name from config `topics` (default: the first)")
    parser.add_argument("--version", default=None, help="model version (default: the model's champion)")
    parser.add_argument("--mapping", default=None, help="mapping YAML (default: topics.<name>.mapping or conf/topics/<name>.yaml)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--months", default=None, help="comma-separated months yyyy-MM to score (default: all)")
    group.add_argument("--last-days", type=int, default=None, help="score the months touched by the last N days")
    parser.add_argument("--as-of", default=None, help="end date for --last-days, yyyy-MM-dd (default: today UTC)")


# ------------------------------------------------------------------------------------------ transformations
def without_sentences(docs_df: DataFrame, sentences_df: DataFrame, model: str, version: str) -> DataFrame:
    """The comments of ``docs_df`` that have no sentence in ``sentences_df``: ``unassigned``, no cluster."""
    return (
        docs_df.join(sentences_df.select("source", "doc_id").distinct(), ["source", "doc_id"], "left_anti")
        .select(
            "source", "doc_id", "user_id", "created_at",
            F.lit(UNASSIGNED).alias("label"),
            F.array().cast("array<int>").alias("cluster_ids"),
            F.lit(model).alias("model"), F.lit(version).alias("model_version"), "month",
        )
    )


def unlabelled_clusters(predictions_df: DataFrame, mapping: TopicMapping) -> DataFrame:
    """Clusters that received sentences in this run but have no label: cluster, sentences (k rows at most)."""
    labelled = [c for c, label in mapping.clusters.items() if label is not None]
    return (
        predictions_df.select(F.explode("cluster_ids").alias("cluster"))
        .where(F.col("cluster").isNotNull() & ~F.col("cluster").isin(labelled))
        .groupBy("cluster").agg(F.count(F.lit(1)).alias("sentences"))
    )


# ------------------------------------------------------------------------------------------ job
def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    name = topics.model_name(cfg, options.model)
    tcfg = cfg["topics"][name]
    months = args_mod.selected_months(options)  # bad --months / --as-of fail here
    inputs = {"documents_clean": cfg.uri("documents_clean"), "sentences": cfg.uri("sentences")}
    with JobRun(spark, cfg, JOB, options, inputs=inputs) as run:
        model_version = ModelRegistry.of(spark, cfg).get(name, options.version)  # default: the champion
        version, uri = model_version.version, model_version.uri
        mapping = topic_mapping.read_mapping(spark, topic_mapping.mapping_uri(cfg, name, options.mapping))
        mapping.check_model(name, version, model_version.metadata["k"])  # before any Spark work
        run.manifest.inputs.update(model=uri, mapping=mapping.origin)
        model = topics.scoring_model(PipelineModel.load(uri), mapping, model_version.metadata["cluster_sizes"],
                                     name, version)

        docs_df = io.read_dataset(spark, cfg.uri("documents_clean")).where(F.col("source").isin(tcfg["sources"]))
        sentences_df = io.read_dataset(spark, cfg.uri("sentences")).where(F.col("source").isin(tcfg["sources"]))
        if months is not None:
            docs_df = docs_df.where(F.col("month").isin(months))
            sentences_df = sentences_df.where(F.col("month").isin(months))
        out_df = (
            conform(model.transform(sentences_df), PREDICTIONS_TOPICS)
            .unionByName(conform(without_sentences(docs_df, sentences_df, name, version), PREDICTIONS_TOPICS))
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        with run.step("score") as step:
            label_counts = {r["label"]: r["count"] for r in out_df.groupBy("label").count().collect()}  # small
            step.rows = run.manifest.read = run.manifest.written = sum(label_counts.values())
        out_uri = cfg.uri("predictions", "topics")
        with run.step("write") as step:
            io.write_partitioned(out_df, out_uri, ["month"])
            step.rows = run.manifest.written
        with run.step("unlabelled clusters") as step:
            unlabelled = report_unlabelled(spark, cfg, run.run_id, out_df, mapping, uri)
            step.rows = len(unlabelled)
        out_df.unpersist()
        run.manifest.outputs = {"predictions": out_uri}
        run.manifest.extra.update(
            model_version=version,
            labels=dict(sorted(label_counts.items())),
            unassigned=label_counts.get(UNASSIGNED, 0),
            unlabelled_clusters=[u["cluster"] for u in unlabelled],
        )
    return run.manifest


def report_unlabelled(spark, cfg: Config, run_id: str, predictions_df: DataFrame, mapping: TopicMapping,
                      uri: str) -> list:
    rows = unlabelled_clusters(predictions_df, mapping).orderBy(F.col("sentences").desc(), "cluster").collect()
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
