"""Read the demo generator's planted truth, and stand in for the analyst on the demo only.

``<truth>/<source>/part-*.parquet`` holds one row per generated record (see :mod:`vocspark.demo.generator`).
For Instagram comments, ``sentence_subjects`` / ``sentence_categories`` give each sentence's planted subject
(null for a general remark about the store) and category, in sentence order.

:func:`mapping_from_truth` writes a topic mapping from the planted truth (each cluster gets the majority planted
label of its training sentences). It is marked ``generated_from: planted truth (demo only)``: on real data an
analyst writes the mapping from the cluster report.
"""
from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from vocspark import io
from vocspark.models.topic_mapping import UNASSIGNED

GENERAL = "general"  # subject of a sentence that is a general remark (no planted subject)


def truth_dataset(spark: SparkSession, truth_uri: str, source: str) -> DataFrame | None:
    uri = f"{truth_uri.rstrip('/')}/{source}"
    if not io.path_exists(spark, uri):
        return None
    return spark.read.parquet(uri)


def good_records(truth_df: DataFrame) -> DataFrame:
    """Well-formed records, first copies only (what ingest keeps, up to its length and source filters)."""
    return truth_df.where(F.col("malformed").isNull() & ~F.col("is_duplicate") & F.col("doc_id").isNotNull())


def sentence_truth(spark: SparkSession, truth_uri: str, source: str = "instagram") -> DataFrame | None:
    """doc_id, sentence_idx, subject, category, label (``subject_category``) per planted sentence."""
    truth_df = truth_dataset(spark, truth_uri, source)
    if truth_df is None:
        return None
    zipped = F.arrays_zip(F.col("sentence_subjects").alias("subject"), F.col("sentence_categories").alias("category"))
    exploded = good_records(truth_df).select("doc_id", F.posexplode(zipped).alias("sentence_idx", "s"))
    subject = F.coalesce(F.col("s.subject"), F.lit(GENERAL))
    return exploded.select(
        "doc_id",
        F.col("sentence_idx").cast("int").alias("sentence_idx"),
        subject.alias("subject"),
        F.col("s.category").alias("category"),
        F.concat_ws("_", subject, F.col("s.category")).alias("label"),
    )


def mapping_from_truth(
    clustered_df: DataFrame, sentence_truth_df: DataFrame, model: str, version: str,
    categories: list[str], min_share: float = 0.5, k: int | None = None,
) -> dict[str, Any]:
    """A mapping dict (see :mod:`vocspark.models.topic_mapping`) labelling each cluster with the majority planted
    label of its sentences when that label holds at least ``min_share`` of them; the generator plays the analyst
    who looked at every cluster, so the others are marked ``unassigned`` (and with ``k``, so is every cluster of
    the model that no planted sentence reached). Ties: the label alphabetically. Only k x labels rows reach the
    driver."""
    counts_df = (
        clustered_df.where(F.col("cluster").isNotNull())
        .join(sentence_truth_df, ["doc_id", "sentence_idx"])
        .groupBy("cluster", "label", "subject", "category").count()
    )
    per_cluster = Window.partitionBy("cluster").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    ranked = Window.partitionBy("cluster").orderBy(F.col("count").desc(), F.col("label"))
    best = (
        counts_df.withColumn("share", F.col("count") / F.sum("count").over(per_cluster))
        .withColumn("rank", F.row_number().over(ranked))
        .where(F.col("rank") == 1)
        .collect()
    )
    labels: dict[str, dict[str, str]] = {}
    clusters: dict[int, str | None] = {}
    for row in sorted(best, key=lambda r: r["cluster"]):
        if row["share"] >= min_share and row["category"] in categories:
            labels[row["label"]] = {"subject": row["subject"], "category": row["category"]}
            clusters[int(row["cluster"])] = row["label"]
        else:
            clusters[int(row["cluster"])] = UNASSIGNED
    for cluster in range(k or 0):
        clusters.setdefault(cluster, UNASSIGNED)
    clusters = dict(sorted(clusters.items()))
    return {
        "model": model,
        "model_version": version,
        "generated_from": "planted truth (demo only): on real data an analyst labels the clusters",
        "categories": categories,
        "labels": dict(sorted(labels.items())),
        "clusters": clusters,
    }
