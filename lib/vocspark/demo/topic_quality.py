"""Quality of a trained topic model against the demo's planted truth (demo and benchmarks only).

    python -m vocspark.demo.topic_quality --config conf/local.yaml --set base_uri=data --model instagram \
        [--version V] [--truth URI]

For the model version ``--version`` (default: the model's candidate, its newest trained version), on its own
training sentences (the sources and months in its ``metadata.json``):

- purity and adjusted Rand index of the clusters against the planted sentence subjects;
- a demo mapping generated from the planted truth (each cluster gets its majority planted label,
  :func:`vocspark.demo.truth.mapping_from_truth`), written to ``<version>/demo_mapping.yaml`` (marked demo only);
- comment-level label accuracy: the label the model's comment vote (:mod:`vocspark.models.topic_stages`) gives
  each training comment with that mapping, against the label the same vote gives from the planted sentence
  labels.

The result goes to ``<version>/demo_quality.json`` (never into ``metadata.json``: versions are immutable) and is
printed. Production training does not import this module.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import yaml
from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import args as args_mod
from vocspark import io
from vocspark.config import Config
from vocspark.demo.truth import mapping_from_truth, sentence_truth
from vocspark.models import topics
from vocspark.models.registry import CANDIDATE, ModelRegistry
from vocspark.models.topic_mapping import DEFAULT_CATEGORIES, UNASSIGNED, parse_mapping
from vocspark.models.topic_stages import CommentVote
from vocspark.session import build_session

DEMO_MAPPING = "demo_mapping.yaml"
DEMO_QUALITY = "demo_quality.json"
_DOC_COLUMNS = {"source": "string", "user_id": "string", "created_at": "timestamp", "month": "string",
                "lang": "string"}


def with_doc_columns(df: DataFrame) -> DataFrame:
    """``df`` + the comment columns the vote groups by (null where ``df`` lacks them: only doc_id matters here)."""
    missing = {c: F.lit(None).cast(t) for c, t in _DOC_COLUMNS.items() if c not in df.columns}
    return df.withColumns(missing) if missing else df


def planted_quality(spark: SparkSession, truth_uri: str, name: str, version: str, clustered_df: DataFrame,
                    sizes: dict[int, int], k: int | None = None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(quality, demo mapping dict) of a clustering ``clustered_df`` (doc_id, sentence_idx, cluster; any other
    comment columns) with training ``sizes`` per cluster; None when there is no planted truth."""
    truth_df = sentence_truth(spark, truth_uri)
    if truth_df is None:
        return None
    truth_df = truth_df.persist(StorageLevel.MEMORY_AND_DISK)
    table = clustered_df.join(truth_df, ["doc_id", "sentence_idx"]).groupBy("cluster", "subject").count().collect()
    quality = topics.contingency_quality([(r["cluster"], r["subject"], r["count"]) for r in table])  # k x subjects
    quality["matched_sentences"] = quality.pop("n")

    mapping_dict = mapping_from_truth(clustered_df, truth_df, name, version, list(DEFAULT_CATEGORIES), k=k)
    mapping = parse_mapping(mapping_dict, origin="demo mapping")
    labelling = PipelineModel(stages=topics.labelling_stages(mapping, sizes, name, version))
    predicted_df = labelling.transform(with_doc_columns(clustered_df))
    severity_of = F.create_map(*[x for i, c in enumerate(mapping.categories) for x in (F.lit(c), F.lit(i))])
    planted_sentences_df = truth_df.select(
        "doc_id", "sentence_idx", "label", "subject", "category",
        severity_of[F.col("category")].alias("severity"),
        F.lit(0).cast("long").alias("train_size"), F.lit(0).alias("cluster"),  # ties: the label alphabetically
    )
    planted_df = CommentVote(modelName=name, modelVersion="planted").transform(with_doc_columns(planted_sentences_df))
    scored = (
        clustered_df.select("doc_id").distinct()
        .join(planted_df.select("doc_id", F.col("label").alias("planted")), "doc_id")
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
    quality["labelled_clusters"] = sum(1 for v in mapping.clusters.values() if v not in (None, UNASSIGNED))
    return quality, mapping_dict


def training_sentences(spark: SparkSession, cfg: Config, metadata: dict[str, Any]) -> DataFrame:
    """The sentences a version was trained on (its sources and months), non-empty tokens only."""
    training = metadata["training"]
    return (
        io.read_dataset(spark, cfg.uri("sentences"))
        .where(F.col("source").isin(training["sources"]) & F.col("month").isin(training["months"]))
        .where(F.size("tokens") > 0)
    )


def evaluate(spark: SparkSession, cfg: Config, name: str, version: str | None = None,
             truth_uri: str | None = None) -> dict[str, Any] | None:
    """Score the version (default: the candidate), write ``demo_mapping.yaml`` and ``demo_quality.json`` in its
    folder; returns the quality (None, and nothing written, without planted truth)."""
    model = ModelRegistry.of(spark, cfg).get(name, version, alias=CANDIDATE)
    clustered_df = (
        topics.assign(PipelineModel.load(model.uri), training_sentences(spark, cfg, model.metadata))
        .select("source", "doc_id", "sentence_idx", "user_id", "created_at", "month", "lang", topics.CLUSTER_COL)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    sizes = {int(c): int(n) for c, n in model.metadata["cluster_sizes"].items()}
    result = planted_quality(spark, truth_uri or cfg.uri("truth"), name, model.version, clustered_df, sizes,
                             k=int(model.metadata["k"]))
    clustered_df.unpersist()
    if result is None:
        return None
    quality, mapping_dict = result
    quality = {"model": name, "version": model.version, **quality, "demo_mapping": f"{model.uri}/{DEMO_MAPPING}"}
    io.write_text(spark, f"{model.uri}/{DEMO_MAPPING}",
                  yaml.safe_dump(mapping_dict, allow_unicode=True, sort_keys=False))
    io.write_text(spark, f"{model.uri}/{DEMO_QUALITY}", json.dumps(quality, indent=2) + "\n")
    return quality


def read_quality(spark: SparkSession, cfg: Config, name: str, version: str) -> dict[str, Any] | None:
    """The ``demo_quality.json`` of a version, or None when it was not evaluated."""
    uri = f"{ModelRegistry.of(spark, cfg).uri(name, version)}/{DEMO_QUALITY}"
    return json.loads(io.read_text(spark, uri)) if io.path_exists(spark, uri) else None


def main(argv: list[str] | None = None) -> int:
    """Quality of a trained topic model against the demo's planted truth (see the module docstring)."""
    parser = args_mod.base_parser("topic_quality", main.__doc__)
    parser.add_argument("--model", default=None, help="topic model name (default: the first of config `topics`)")
    parser.add_argument("--version", default=None, help="model version (default: the model's candidate)")
    parser.add_argument("--truth", default=None, help="planted truth folder (default: <base>/truth)")
    args, cfg = args_mod.parse(parser, argv)
    args_mod.setup_logging()
    spark = build_session(cfg, app_name="vocspark-topic-quality")
    name = topics.model_name(cfg, args.model)
    quality = evaluate(spark, cfg, name, args.version, args.truth)
    if quality is None:
        print(f"no planted truth under {args.truth or cfg.uri('truth')}: nothing to score", file=sys.stderr)
        return 1
    print(json.dumps(quality, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
