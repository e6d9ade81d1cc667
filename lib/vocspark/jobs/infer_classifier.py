"""infer_classifier: score a month range of ``documents_clean`` with a registered classifier version.

Read -> transform -> conform -> write: reads the documents of the model's sources (``--months``, ``--last-days N``
or every month), transforms them with the saved self-contained PipelineModel (``--version``, default the
registry's ``champion``; its scoring stages give every contract column, see
:mod:`vocspark.models.classifier_stages`), conforms to ``PREDICTIONS_CLASSIFIER`` and writes
``predictions/<model>/month=yyyy-MM/``: source, doc_id, user_id, created_at, prediction (label name),
probability, top_k (label, probability; best first, k = the model's ``infer.top_k`` or ``--top-k``), reason,
model, model_version, month.

A document the model cannot score is written with a null prediction and a reason, never dropped, first rule
that holds: ``lang_out_of_scope`` (the model was trained on other languages), ``no_tokens`` (empty after
cleaning), ``no_known_tokens`` (no token in the model's vocabulary; only when ``infer.require_known_token``).
Whole months are written with dynamic partition overwrite, so a rerun leaves the same rows.
Manifest: read = written = documents in scope; ``extra.reasons`` counts the null predictions by reason.
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession

from vocspark import args as args_mod
from vocspark import io, runtime, schemas
from vocspark.config import Config
from vocspark.models import classifier_data as D
from vocspark.models import classifiers as C
from vocspark.models.registry import ModelRegistry
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "infer_classifier"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="classifier name (models/<name>/)")
    parser.add_argument("--version", default=None, help="model version (default: the registry's champion)")
    args_mod.add_month_selection(parser, "score")
    parser.add_argument("--top-k", type=int, default=None, help="labels kept in top_k (default: infer.top_k)")


@dataclass(frozen=True)
class Options(runtime.Options):
    model: str | None = None
    version: str | None = None
    months: str | None = None
    last_days: int | None = None
    as_of: str | None = None
    top_k: int | None = None


def predictions(model: PipelineModel, docs_df: DataFrame) -> DataFrame:
    """Every document of ``docs_df`` with its prediction or a reason (contract ``PREDICTIONS_CLASSIFIER``):
    the self-contained model's output, conformed."""
    return schemas.conform(model.transform(docs_df), schemas.PREDICTIONS_CLASSIFIER)


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    months = args_mod.selected_months(options)
    mv = D.classifier_version(ModelRegistry.of(spark, cfg), options.model, options.version)
    with JobRun(spark, cfg, JOB, options, inputs={"documents_clean": cfg.uri("documents_clean"), "model": mv.uri}) as run:
        model = C.legacy_scoring_model(PipelineModel.load(mv.uri), mv.metadata)
        top_k = options.top_k or mv.metadata["params"]["infer"]["top_k"]
        if options.top_k:
            model = C.with_top_k(model, top_k)
        with run.step("read, transform, conform") as step:
            docs_df = D.read_documents(spark, cfg, mv.metadata["sources"], months)
            out_df = predictions(model, docs_df).persist(StorageLevel.MEMORY_AND_DISK)
            counts = out_df.groupBy("reason", "prediction").count().collect()  # labels x reasons: small
            step.rows = total = sum(r["count"] for r in counts)
        reasons: dict[str, int] = {}
        labels: dict[str, int] = {}
        for r in counts:
            if r["reason"] is not None:
                reasons[r["reason"]] = reasons.get(r["reason"], 0) + r["count"]
            else:
                labels[r["prediction"]] = labels.get(r["prediction"], 0) + r["count"]
        out_uri = cfg.uri("predictions", mv.name)
        with run.step("write") as step:
            io.write_partitioned(out_df, out_uri, schemas.PARTITIONS["predictions_classifier"])
            step.rows = total
        out_df.unpersist()
        run.manifest.read = run.manifest.written = total
        run.manifest.outputs = {"predictions": out_uri}
        run.manifest.extra.update({"model_version": mv.version, "months": months, "labels": dict(sorted(labels.items())),
                                   "reasons": dict(sorted(reasons.items())), "top_k": top_k})
    log.info("infer_classifier: %s %s scored %d documents (%s; null with reason: %s) in %.1fs -> %s", mv.name,
             mv.version, total, labels, reasons, run.seconds, out_uri)
    return run.manifest
