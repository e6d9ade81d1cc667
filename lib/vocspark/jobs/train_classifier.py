"""train_classifier: train one text classifier from ``conf/classifiers/<name>.yaml`` -> ``models/<name>/<version>/``.

1. Reads ``documents_clean`` of the classifier's ``sources`` (``--months`` or ``--until`` + ``--train-months``,
   default every month) and the labels (a documents column or a labels dataset keyed by doc_id; see
   :func:`vocspark.models.classifiers.labelled_examples`). Rejected documents (conflicting or unknown labels) go
   to ``rejected/job=train_classifier/``.
2. Splits train / validation / test (stratified random, by time, or predefined: ``split.method`` column, the
   labels dataset's or documents_clean's split column; documents without a valid value are filtered as
   ``no_split``), rebalances the training split
   (class weights or resampling to the target ratio), fits and tunes the pipeline (features + model).
3. Saves, through :class:`vocspark.models.registry.ModelRegistry`, the self-contained PipelineModel (the fitted
   pipeline + the scoring stages of :mod:`vocspark.models.classifier_stages`, so ``PipelineModel.load(uri)``
   gives the predictions contract columns) under ``--version`` (default: the run id), scores the test split and
   writes the evaluation report (JSON, markdown, PNG) under ``<version>/report/``, then registers the version
   with its ``metadata.json`` (data range, counts per split and label, params, tuning grid and chosen point, test
   metrics, majority baseline, label map): it becomes the ``candidate``.
4. Until the promotion job decides champions, a model with no ``champion`` yet gets this version as champion
   (reason "first trained version: nothing to compare against"); otherwise the champion stays and the new
   version is only the candidate (compare it with ``compare_models``; promote with the registry).

Manifest ``manifests/train_classifier/<run_id>.json`` (a unique run id, not the version): read = documents of
the sources and months; written = labelled documents used (all splits); filtered: lang, no_label, no_split,
no_tokens;
rejected: conflicting_labels, unknown_label.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from vocspark import args as args_mod
from vocspark import io, runtime
from vocspark.config import Config, ConfigError
from vocspark.models import classifier_data as D
from vocspark.models import classifiers as C
from vocspark.models import evaluation as E
from vocspark.models.registry import CHAMPION, ModelRegistry
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "train_classifier"
FIRST_CHAMPION = "first trained version: nothing to compare against"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="classifier name: conf/classifiers/<name>.yaml")
    parser.add_argument("--classifier-config", default=None, help="classifier YAML (default: conf/classifiers/<model>.yaml)")
    parser.add_argument("--months", default=None, help="comma-separated months yyyy-MM (default: all)")
    parser.add_argument("--until", default=None, help="last month yyyy-MM (with --train-months)")
    parser.add_argument("--train-months", type=int, default=None, help="number of months up to --until")
    parser.add_argument("--as-of", default=None, help="scheduled retrain day yyyy-MM-dd: --until defaults to the "
                        "month before it (date-exact reruns)")
    parser.add_argument("--version", default=None, help="model version (default: the run id)")
    parser.add_argument("--cset", dest="cset", action="append", default=[], metavar="KEY=VALUE",
                        help="override a classifier config key, e.g. --cset features.kind=word2vec (repeatable)")


@dataclass(frozen=True)
class Options(runtime.Options):
    model: str | None = None
    classifier_config: str | None = None
    months: str | None = None
    until: str | None = None
    train_months: int | None = None
    as_of: str | None = None
    version: str | None = None
    cset: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "cset", tuple(self.cset or ()))


def training_months(options: Options) -> list[str] | None:
    """``--months`` (validated), else ``--until`` (default with ``--as-of``: the month before it) +
    ``--train-months`` (default 12), else None (every month)."""
    if options.months:
        return args_mod.selected_months(options)
    until = options.until or (args_mod.month_before(options.as_of) if options.as_of else None)
    if until:
        return args_mod.month_range(until, options.train_months or 12)
    return None


# ------------------------------------------------------------------------------------------ job
def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> dict[str, Any]:
    options = runtime.options_from(args, Options)
    ccfg = D.classifier_config(cfg, options.model, options.classifier_config, options.cset, spark)
    name = ccfg["name"]
    months = training_months(options)
    registry = ModelRegistry.of(spark, cfg)
    inputs = {"documents_clean": cfg.uri("documents_clean"), "classifier_config": ccfg["_path"]}
    if ccfg["labels"]["path"]:
        inputs["labels"] = ccfg["labels"]["path"]
    with JobRun(spark, cfg, JOB, options, inputs=inputs) as run:
        version = options.version or run.run_id
        run.manifest.inputs["labels"] = D.labels_input(ccfg)
        with run.step("read and label") as step:
            ex_df = D.examples(spark, cfg, ccfg, months).persist(StorageLevel.MEMORY_AND_DISK)
            D.reject_and_count(cfg, JOB, run.run_id, ex_df, run.manifest)
            step.rows = run.manifest.read
        kept_df = ex_df.where(F.col(io.OUTCOME).isNull())
        with run.step("split") as step:
            present = sorted(r[C.LABEL_COL] for r in kept_df.select(C.LABEL_COL).distinct().collect())  # labels: small
            names = C.label_names(ccfg, present)
            data_df = (
                kept_df.transform(C.with_label_index, names)
                .select(C.example_columns(ccfg["split"]["method"] == "column"))
                .transform(C.with_split, ccfg["split"])
                .persist(StorageLevel.MEMORY_AND_DISK)
            )
            split_counts: dict[str, dict[str, int]] = {}
            for r in data_df.groupBy(C.SPLIT_COL, C.LABEL_COL).count().collect():  # splits x labels
                split_counts.setdefault(r[C.SPLIT_COL], {})[r[C.LABEL_COL]] = int(r["count"])
            month_span = data_df.agg(F.min("month").alias("lo"), F.max("month").alias("hi")).first()
            step.rows = sum(sum(v.values()) for v in split_counts.values())
            step.extra = {"splits": split_counts}
        train_counts = split_counts.get("train", {})
        if len(train_counts) < 2:
            raise ConfigError(f"classifier `{name}`: the training split has labels {sorted(train_counts)}; need 2 or more")

        with run.step("fit") as step:
            train_df = C.rebalance(data_df.where(F.col(C.SPLIT_COL) == "train"), ccfg["imbalance"], train_counts,
                                   ccfg["split"]["seed"]).persist(StorageLevel.MEMORY_AND_DISK)
            trained_counts = C.class_counts(train_df)
            validation_df = data_df.where(F.col(C.SPLIT_COL) == "validation")
            if C.WEIGHT_COL in train_df.columns:
                weights = {r[C.LABEL_COL]: r[C.WEIGHT_COL]
                           for r in train_df.select(C.LABEL_COL, C.WEIGHT_COL).distinct().collect()}  # one per class
                weight = F.create_map(*[x for k, w in weights.items() for x in (F.lit(k), F.lit(float(w)))])
                validation_df = validation_df.withColumn(C.WEIGHT_COL, weight[F.col(C.LABEL_COL)])
            has_validation = bool(split_counts.get("validation"))
            if ccfg["tuning"]["method"] == "train_validation_split" and not has_validation:
                raise ConfigError(f"classifier `{name}`: `tuning.method` train_validation_split needs validation "
                                  "documents; the split has none")
            fitted, tuning = C.fit(train_df, validation_df if has_validation else None, ccfg, len(names))
            model = C.self_contained(fitted, names, ccfg["infer"]["top_k"], name, version,
                                     ccfg["infer"]["require_known_token"])
            step.rows = sum(trained_counts.values())
            step.extra = {"kind": C.model_kind(model), "chosen": tuning["chosen"]}
        t_fit = run.steps[-1].seconds

        with run.step("save") as step:
            uri = registry.begin_version(name, version)
            model.write().save(uri)
        test_df = data_df.where(F.col(C.SPLIT_COL) == "test")
        binary = len(names) == 2
        report = None
        if split_counts.get("test"):
            with run.step("test report") as step:
                scored = C.score(model, test_df, names, ccfg["infer"]["top_k"]).persist(StorageLevel.MEMORY_AND_DISK)
                report = E.evaluate(scored, names, ccfg["evaluation"], binary)
                report.update({"model": name, "version": version, "dataset": "test split"})
                E.write_report(spark, uri + "/report", report, f"{name} {version}: test split")
                scored.unpersist()
                step.rows = report["n"]
        metadata = {
            "kind": "classifier",
            "name": name,
            "version": version,
            "run_id": run.run_id,
            "task": ccfg["task"],
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "label_map": {str(i): n for i, n in enumerate(names)},
            "labels": names,
            "positive_label": names[1] if binary else None,
            "sources": ccfg["sources"],
            "langs": ccfg["langs"],
            "training": {
                "months": months, "first_month": month_span["lo"], "last_month": month_span["hi"],
                "documents_by_split_and_label": split_counts,
                "train_rows_after_rebalancing": trained_counts,
                "rebalancing": ccfg["imbalance"],
            },
            "model_class": C.model_kind(model),
            "params": {k: ccfg[k] for k in ("features", "model", "split", "imbalance", "tuning", "evaluation", "infer",
                                            "compare", "labels")},
            "tuning": tuning,
            "metrics": _headline(report) if report else None,
            "report": uri + "/report" if report else None,
            "seconds": {"fit": round(t_fit, 3), "total": round(run.seconds, 3)},
            "versions": io.versions(spark),
            "classifier_config": ccfg["_path"],
        }
        with run.step("register"):
            registry.register(name, version, metadata, run_id=run.run_id, first_champion_reason=FIRST_CHAMPION)
            champion = registry.alias(name, CHAMPION)
            promoted = FIRST_CHAMPION if champion == version else None
        for df in (train_df, data_df, ex_df):
            df.unpersist()
        run.manifest.outputs.update({"model": uri, "report": metadata["report"]})
        run.manifest.extra.update({"version": version, "labels": names, "metrics": metadata["metrics"],
                                   "tuning": tuning, "champion": champion,
                                   "promoted": promoted})
    log.info("train_classifier: %s version %s at %s: %s (%.1fs)", name, version, uri, metadata["metrics"], run.seconds)
    return metadata


def _headline(report: dict) -> dict:
    out = {
        "test_documents": report["n"],
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_avg"]["f1"],
        "weighted_f1": report["weighted_avg"]["f1"],
        "majority_baseline": report["majority_baseline"],
    }
    if report.get("roc_auc") is not None:
        out.update({"roc_auc": report["roc_auc"], "pr_auc": report["pr_auc"]})
    return out
