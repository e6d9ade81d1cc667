"""evaluate: the evaluation report of a registered classifier version (default: the champion) on a labelled dataset.

The labelled documents are read as at training time (the classifier settings stored in the model's
``metadata.json``; ``--labels`` points at another labels dataset). ``--dataset test`` (default) keeps the test
split recomputed by the training rule (identical to the training test split when run on the same months, the
default being the training months); ``--dataset all`` keeps every labelled document (e.g. newer months with
``--months``). Writes ``reports/evaluate/<model>/<version>/<run_id>/`` with ``report.json``, ``report.md`` and
PNG plots (see :mod:`vocspark.models.evaluation`).

Manifest: read = documents in scope; written = documents scored; filtered: lang, no_label, no_tokens,
label_not_in_model, not_in_holdout, no_split (predefined split); rejected: conflicting_labels, unknown_label.
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import SparkSession

from vocspark import args as args_mod
from vocspark import io, runtime
from vocspark.config import Config
from vocspark.models import classifier_data as D
from vocspark.models import classifiers as C
from vocspark.models import evaluation as E
from vocspark.models.registry import ModelRegistry
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "evaluate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="classifier name (models/<name>/)")
    parser.add_argument("--version", default=None, help="model version (default: the registry's champion)")
    parser.add_argument("--months", default=None, help="comma-separated months (default: the training months)")
    parser.add_argument("--dataset", default="test", choices=("test", "all"), help="test split or every labelled doc")
    parser.add_argument("--labels", default=None, help="labels dataset URI (default: the one the model was trained with)")


@dataclass(frozen=True)
class Options(runtime.Options):
    model: str | None = None
    version: str | None = None
    months: str | None = None
    dataset: str = "test"
    labels: str | None = None


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> dict:
    options = runtime.options_from(args, Options)
    mv = D.classifier_version(ModelRegistry.of(spark, cfg), options.model, options.version)
    meta = mv.metadata
    ccfg = D.stored_config(meta, options.labels)
    months = args_mod.selected_months(options) or meta["training"]["months"]
    dataset = options.dataset or "test"
    inputs = {"documents_clean": cfg.uri("documents_clean"), "model": mv.uri}
    with JobRun(spark, cfg, JOB, options, inputs=inputs) as run:
        run.manifest.inputs["labels"] = D.labels_input(ccfg)
        names = meta["labels"]
        with run.step("holdout") as step:
            data_df = D.holdout(spark, cfg, ccfg, names, months, dataset, JOB, run.run_id, run.manifest)
            step.rows = run.manifest.written
        with run.step("score and report") as step:
            scored = C.score(PipelineModel.load(mv.uri), data_df, names, 1).persist(StorageLevel.MEMORY_AND_DISK)
            report = E.evaluate(scored, names, ccfg["evaluation"], len(names) == 2)
            report.update({"model": mv.name, "version": mv.version, "dataset": dataset, "months": months})
            out = cfg.uri("reports", JOB, mv.name, mv.version, run.run_id)
            E.write_report(spark, out, report,
                           f"{mv.name} {mv.version}: {dataset} ({', '.join(months) if months else 'all months'})")
            scored.unpersist()
            step.rows = report["n"]
        if run.manifest.written != report["n"]:
            raise io.ReconciliationError(f"evaluate: {run.manifest.written} documents counted, {report['n']} scored")
        run.manifest.outputs["report"] = out
        run.manifest.extra.update({"version": mv.version, "accuracy": report["accuracy"],
                                   "macro_f1": report["macro_avg"]["f1"], "roc_auc": report.get("roc_auc")})
    log.info("evaluate: %s %s on %d documents: accuracy %.4f macro-F1 %.4f -> %s", mv.name, mv.version, report["n"],
             report["accuracy"], report["macro_avg"]["f1"], out)
    return report
