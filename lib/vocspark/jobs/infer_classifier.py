"""infer_classifier: score a month range of ``documents_clean`` with a saved classifier version.

Reads the documents of the model's sources (``--months``, ``--last-days N`` or every month), scores them with the
saved PipelineModel and writes ``predictions/<model>/month=yyyy-MM/`` (the ``PREDICTIONS_CLASSIFIER`` contract):
source, doc_id, user_id, created_at, prediction (label name), probability, top_k (label, probability; best
first, k = ``infer.top_k`` or ``--top-k``), reason, model, model_version, month.

A document the model cannot score is written with a null prediction and a reason, never dropped, first rule
that holds: ``lang_out_of_scope`` (the model was trained on other languages), ``no_tokens`` (empty after
cleaning), ``no_known_tokens`` (no token in the model's vocabulary; only when ``infer.require_known_token``).
Whole months are written with dynamic partition overwrite, so a rerun leaves the same rows.
Manifest: read = written = documents in scope; ``extra.reasons`` counts the null predictions by reason.
"""
from __future__ import annotations

import argparse
import logging
import time

from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io, schemas
from vocspark.config import Config
from vocspark.jobs.infer_topics import months_to_score
from vocspark.jobs.train_classifier import args_dict, read_documents, read_metadata
from vocspark.models import classifiers as C

log = logging.getLogger(__name__)
JOB = "infer_classifier"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="classifier name (models/<name>/)")
    parser.add_argument("--version", default=None, help="model version (default: models/<name>/LATEST)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--months", default=None, help="comma-separated months yyyy-MM to score (default: all)")
    group.add_argument("--last-days", type=int, default=None, help="score the months touched by the last N days")
    parser.add_argument("--as-of", default=None, help="end date for --last-days, yyyy-MM-dd (default: today UTC)")
    parser.add_argument("--top-k", type=int, default=None, help="labels kept in top_k (default: infer.top_k)")


def unscorable_reason(docs_df: DataFrame, langs: list[str] | None, known_df: DataFrame | None) -> DataFrame:
    """``docs_df`` + ``reason`` (null when the model can score the document); see the module docstring.
    ``known_df``: doc_ids with at least one token in the model's vocabulary (None: no such check)."""
    out_of_lang = ~F.col("lang").isin(langs) if langs else F.lit(False)
    no_tokens = F.coalesce(F.size("tokens"), F.lit(0)) <= 0
    cases = [(out_of_lang, F.lit("lang_out_of_scope")), (no_tokens, F.lit("no_tokens"))]
    if known_df is not None:
        docs_df = docs_df.join(known_df.withColumn("_known", F.lit(True)), "doc_id", "left")
        cases.append((F.col("_known").isNull(), F.lit("no_known_tokens")))
    return docs_df.withColumn("reason", io.first_outcome(*cases)).drop("_known")


def known_docs(docs_df: DataFrame, vocab: list[str]) -> DataFrame:
    """doc_ids with a token in ``vocab`` (the vocabulary is small and broadcast)."""
    spark = docs_df.sparkSession
    vocab_df = spark.createDataFrame([(w,) for w in vocab], "token string")
    return (
        docs_df.select("doc_id", F.explode("tokens").alias("token"))
        .join(F.broadcast(vocab_df), "token")
        .select("doc_id").distinct()
    )


def predictions(
    model: PipelineModel, docs_df: DataFrame, names: list[str], top_k: int, name: str, version: str,
    langs: list[str] | None, vocab: list[str] | None,
) -> DataFrame:
    """Every document of ``docs_df`` with its prediction or a reason (contract ``PREDICTIONS_CLASSIFIER``)."""
    base_df = docs_df.select("source", "doc_id", "user_id", "created_at", "month", "lang", "tokens")
    known_df = known_docs(base_df, vocab) if vocab is not None else None
    flagged_df = unscorable_reason(base_df, langs, known_df)
    scored_df = C.score(model, flagged_df.where(F.col("reason").isNull()), names, top_k)
    null_df = flagged_df.where(F.col("reason").isNotNull())
    both_df = scored_df.unionByName(null_df, allowMissingColumns=True)
    return schemas.conform(
        both_df.withColumns({"model": F.lit(name), "model_version": F.lit(version)}),
        schemas.PREDICTIONS_CLASSIFIER,
    )


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace) -> io.Manifest:
    name = args.model
    run_id = getattr(args, "run_id", None) or io.new_run_id()
    version, uri, meta = read_metadata(spark, cfg, name, getattr(args, "version", None))
    months = months_to_score(args)
    docs_df = read_documents(spark, cfg, meta["sources"], months)
    model = PipelineModel.load(uri)
    params = meta["params"]
    top_k = getattr(args, "top_k", None) or params["infer"]["top_k"]
    vocab = C.vocabulary(model) if params["infer"]["require_known_token"] else None
    manifest = io.Manifest(JOB, run_id, args=args_dict(args),
                           inputs={"documents_clean": cfg.uri("documents_clean"), "model": uri})
    t0 = time.monotonic()
    out_df = predictions(model, docs_df, meta["labels"], top_k, name, version, meta["langs"], vocab).persist(
        StorageLevel.MEMORY_AND_DISK)
    counts = out_df.groupBy("reason", "prediction").count().collect()  # labels x reasons: small
    reasons: dict[str, int] = {}
    labels: dict[str, int] = {}
    for r in counts:
        if r["reason"] is not None:
            reasons[r["reason"]] = reasons.get(r["reason"], 0) + r["count"]
        else:
            labels[r["prediction"]] = labels.get(r["prediction"], 0) + r["count"]
    total = sum(r["count"] for r in counts)
    out_uri = cfg.uri("predictions", name)
    io.write_partitioned(out_df, out_uri, schemas.PARTITIONS["predictions_classifier"])
    out_df.unpersist()
    manifest.read = manifest.written = total
    manifest.outputs = {"predictions": out_uri}
    manifest.extra = {"model_version": version, "months": months, "labels": dict(sorted(labels.items())),
                      "reasons": dict(sorted(reasons.items())), "top_k": top_k,
                      "seconds": round(time.monotonic() - t0, 3)}
    manifest.close(spark, cfg.base_uri)
    log.info("infer_classifier: %s %s scored %d documents (%s; null with reason: %s) in %.1fs -> %s", name, version,
             total, labels, reasons, time.monotonic() - t0, out_uri)
    return manifest
