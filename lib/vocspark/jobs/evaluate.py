"""evaluate: the evaluation report of a saved classifier version on a labelled dataset.

The labelled documents are read as at training time (the classifier settings stored in the model's
``metadata.json``; ``--labels`` points at another labels dataset). ``--dataset test`` (default) keeps the test
split recomputed by the training rule (identical to the training test split when run on the same months, the
default being the training months); ``--dataset all`` keeps every labelled document (e.g. newer months with
``--months``). Writes ``reports/evaluate/<model>/<version>/<run_id>/`` with ``report.json``, ``report.md`` and
PNG plots (see :mod:`vocspark.models.evaluation`).

Manifest: read = documents in scope; written = documents scored; filtered: lang, no_label, no_tokens,
label_not_in_model, not_in_holdout; rejected: conflicting_labels, unknown_label.
"""
from __future__ import annotations

import argparse
import logging
import time

from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import Config
from vocspark.jobs.train_classifier import args_dict, examples, read_metadata, reject_and_count
from vocspark.models import classifiers as C
from vocspark.models import evaluation as E

log = logging.getLogger(__name__)
JOB = "evaluate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="classifier name (models/<name>/)")
    parser.add_argument("--version", default=None, help="model version (default: models/<name>/LATEST)")
    parser.add_argument("--months", default=None, help="comma-separated months (default: the training months)")
    parser.add_argument("--dataset", default="test", choices=("test", "all"), help="test split or every labelled doc")
    parser.add_argument("--labels", default=None, help="labels dataset URI (default: the one the model was trained with)")


def stored_config(meta: dict, labels_path: str | None = None) -> dict:
    """The classifier settings saved with a model (what evaluate and compare_models need)."""
    ccfg = {k: v for k, v in meta["params"].items()}
    ccfg.update({"name": meta["name"], "task": meta["task"], "sources": meta["sources"], "langs": meta["langs"],
                 "_path": f"metadata of {meta['name']} {meta['version']}"})
    if labels_path:
        ccfg["labels"] = {**ccfg["labels"], "path": labels_path}
    return ccfg


def holdout(
    spark: SparkSession, cfg: Config, ccfg: dict, names: list[str], months: list[str] | None, dataset: str,
    job: str, run_id: str, manifest: io.Manifest,
) -> DataFrame:
    """The labelled documents to score (label, label_idx, tokens, ...); counts go to ``manifest`` and rejected
    documents to ``rejected/job=<job>/``."""
    ex_df = examples(spark, cfg, ccfg, months).persist(StorageLevel.MEMORY_AND_DISK)
    reject_and_count(spark, cfg, job, run_id, ex_df.where(F.col(io.OUTCOME).isNotNull()), manifest)
    kept_df = ex_df.where(F.col(io.OUTCOME).isNull())
    data_df = (
        kept_df.transform(C.with_label_index, names)
        .select("source", "doc_id", "month", "lang", "tokens", C.LABEL_COL, C.LABEL_IDX)
        .transform(C.with_split, ccfg["split"])
    )
    not_holdout = (F.col(C.SPLIT_COL) != "test") if dataset == "test" else F.lit(False)
    outcome = io.first_outcome(
        (F.col(C.LABEL_IDX).isNull(), io.filtered("label_not_in_model")),
        (not_holdout, io.filtered("not_in_holdout")),
    )
    data_df = data_df.withColumn(io.OUTCOME, outcome).persist(StorageLevel.MEMORY_AND_DISK)
    manifest.add_counts(io.outcome_counts(data_df))
    return data_df.where(F.col(io.OUTCOME).isNull()).drop(io.OUTCOME)


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace) -> dict:
    run_id = getattr(args, "run_id", None) or io.new_run_id()
    version, uri, meta = read_metadata(spark, cfg, args.model, getattr(args, "version", None))
    ccfg = stored_config(meta, getattr(args, "labels", None))
    months = [m.strip() for m in args.months.split(",")] if getattr(args, "months", None) else meta["training"]["months"]
    dataset = getattr(args, "dataset", None) or "test"
    manifest = io.Manifest(JOB, run_id, args=args_dict(args), inputs={"documents_clean": cfg.uri("documents_clean"),
                                                                      "model": uri, "labels": ccfg["labels"]["path"]})
    t0 = time.monotonic()
    model = PipelineModel.load(uri)
    names = meta["labels"]
    data_df = holdout(spark, cfg, ccfg, names, months, dataset, JOB, run_id, manifest)
    scored = C.score(model, data_df, names, 1).persist(StorageLevel.MEMORY_AND_DISK)
    report = E.evaluate(scored, names, ccfg["evaluation"], len(names) == 2)
    report.update({"model": args.model, "version": version, "dataset": dataset, "months": months})
    out = cfg.uri("reports", JOB, args.model, version, run_id)
    E.write_report(spark, out, report, f"{args.model} {version}: {dataset} ({', '.join(months) if months else 'all months'})")
    scored.unpersist()
    if manifest.written != report["n"]:
        raise io.ReconciliationError(f"evaluate: {manifest.written} documents counted, {report['n']} scored")
    manifest.outputs = {"report": out}
    manifest.extra = {"version": version, "accuracy": report["accuracy"], "macro_f1": report["macro_avg"]["f1"],
                      "roc_auc": report.get("roc_auc"), "seconds": round(time.monotonic() - t0, 3)}
    manifest.close(spark, cfg.base_uri)
    log.info("evaluate: %s %s on %d documents: accuracy %.4f macro-F1 %.4f -> %s", args.model, version, report["n"],
             report["accuracy"], report["macro_avg"]["f1"], out)
    return report
