"""train_classifier: train one text classifier from ``conf/classifiers/<name>.yaml`` -> ``models/<name>/<version>/``.

1. Reads ``documents_clean`` of the classifier's ``sources`` (``--months`` or ``--until`` + ``--train-months``,
   default every month) and the labels (a documents column or a labels dataset keyed by doc_id; see
   :func:`vocspark.models.classifiers.labelled_examples`). Rejected documents (conflicting or unknown labels) go
   to ``rejected/job=train_classifier/``.
2. Splits train / validation / test (stratified random or by time), rebalances the training split
   (class weights or resampling to the target ratio), fits and tunes the pipeline (features + model).
3. Scores the test split and writes the evaluation report (JSON, markdown, PNG) under ``<model>/report/``.
4. Saves the PipelineModel and ``metadata.json`` (data range, counts per split and label, params, tuning grid and
   chosen point, test metrics, majority baseline, label map) and points ``models/<name>/LATEST`` at the version.

Manifest: read = documents of the sources and months; written = labelled documents used (all splits);
filtered: lang, no_label, no_tokens; rejected: conflicting_labels, unknown_label.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import time
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import Config, ConfigError
from vocspark.jobs.train_topics import month_range
from vocspark.models import classifiers as C
from vocspark.models import evaluation as E

log = logging.getLogger(__name__)
JOB = "train_classifier"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="classifier name: conf/classifiers/<name>.yaml")
    parser.add_argument("--classifier-config", default=None, help="classifier YAML (default: conf/classifiers/<model>.yaml)")
    parser.add_argument("--months", default=None, help="comma-separated months yyyy-MM (default: all)")
    parser.add_argument("--until", default=None, help="last month yyyy-MM (with --train-months)")
    parser.add_argument("--train-months", type=int, default=None, help="number of months up to --until")
    parser.add_argument("--version", default=None, help="model version (default: UTC time + random suffix)")
    parser.add_argument("--cset", dest="cset", action="append", default=[], metavar="KEY=VALUE",
                        help="override a classifier config key, e.g. --cset features.kind=word2vec (repeatable)")


# ------------------------------------------------------------------------------------------ shared by the jobs
def classifier_config(cfg: Config, args: argparse.Namespace, spark: SparkSession | None = None) -> dict:
    from vocspark.config import parse_override

    overrides = dict(parse_override(o) for o in (getattr(args, "cset", None) or []))
    path = C.config_path(cfg, args.model, getattr(args, "classifier_config", None))
    ccfg = C.load_config(path, cfg.base_uri, overrides, spark)
    if ccfg["name"] != args.model:
        raise ConfigError(f"{path}: `name` is {ccfg['name']!r} but --model is {args.model!r}")
    ccfg["_path"] = str(path)
    return ccfg


def months_arg(args: argparse.Namespace) -> list[str] | None:
    if getattr(args, "months", None):
        return [m.strip() for m in args.months.split(",") if m.strip()]
    if getattr(args, "until", None):
        return month_range(args.until, getattr(args, "train_months", None) or 12)
    return None


def read_documents(spark: SparkSession, cfg: Config, sources: list[str], months: list[str] | None) -> DataFrame:
    uri = cfg.uri("documents_clean")
    io.require_inputs(spark, {"documents_clean": uri})
    docs_df = io.read_dataset(spark, uri).where(F.col("source").isin(sources))
    if months is not None:
        docs_df = docs_df.where(F.col("month").isin(months))
    return docs_df


def read_labels(spark: SparkSession, ccfg: dict) -> DataFrame | None:
    path = ccfg["labels"]["path"]
    if not path:
        return None
    io.require_inputs(spark, {"labels.path": path})
    return spark.read.parquet(path)


def examples(spark: SparkSession, cfg: Config, ccfg: dict, months: list[str] | None) -> DataFrame:
    """Labelled examples with ``_outcome`` (all documents in scope, kept or not)."""
    docs_df = read_documents(spark, cfg, ccfg["sources"], months)
    if ccfg["labels"]["path"] is None and ccfg["labels"]["column"] not in docs_df.columns:
        raise ConfigError(f"{ccfg['_path']}: `labels.column` {ccfg['labels']['column']!r} is not a documents_clean "
                          "column; set `labels.path` to a labels dataset keyed by doc_id")
    return C.labelled_examples(docs_df, read_labels(spark, ccfg), ccfg)


def reject_and_count(spark, cfg: Config, job: str, run_id: str, ex_df: DataFrame, manifest: io.Manifest) -> None:
    manifest.add_counts(io.outcome_counts(ex_df))
    if manifest.rejected:
        raw = F.to_json(F.struct("doc_id", F.col("_raw_label").alias("labels")))
        rej = io.rejected_rows(ex_df.withColumn("raw", raw), job, run_id, io.run_month())
        io.write_rejected(rej, cfg.base_uri)
        manifest.outputs["rejected"] = cfg.uri("rejected")


def model_uri(cfg: Config, name: str, version: str) -> str:
    return cfg.uri("models", name, version)


def latest_version(spark: SparkSession, cfg: Config, name: str) -> str:
    uri = cfg.uri("models", name, "LATEST")
    if not io.path_exists(spark, uri):
        raise io.MissingInputError(f"no trained version of classifier `{name}`: {uri} does not exist")
    return io.read_text(spark, uri).strip()


def read_metadata(spark: SparkSession, cfg: Config, name: str, version: str | None) -> tuple[str, str, dict]:
    version = version or latest_version(spark, cfg, name)
    uri = model_uri(cfg, name, version)
    io.require_inputs(spark, {"model": uri, "metadata": uri + "/metadata.json"})
    meta = json.loads(io.read_text(spark, uri + "/metadata.json"))
    if meta.get("kind") != "classifier":
        raise ConfigError(f"{uri} is not a classifier model (metadata kind {meta.get('kind')!r})")
    return version, uri, meta


def args_dict(args: argparse.Namespace) -> dict:
    return {k: v for k, v in vars(args).items() if k != "JOB_NAME"}


# ------------------------------------------------------------------------------------------ job
def run(spark: SparkSession, cfg: Config, args: argparse.Namespace) -> dict[str, Any]:
    ccfg = classifier_config(cfg, args, spark)
    name = ccfg["name"]
    version = getattr(args, "version", None) or io.new_run_id()
    run_id = getattr(args, "run_id", None) or version
    t0 = time.monotonic()
    months = months_arg(args)
    ex_df = examples(spark, cfg, ccfg, months).persist(StorageLevel.MEMORY_AND_DISK)
    manifest = io.Manifest(JOB, run_id, args=args_dict(args),
                           inputs={"documents_clean": cfg.uri("documents_clean"), "labels": ccfg["labels"]["path"]
                                   or f"documents_clean.{ccfg['labels']['column']}", "classifier_config": ccfg["_path"]})
    reject_and_count(spark, cfg, JOB, run_id, ex_df, manifest)
    kept_df = ex_df.where(F.col(io.OUTCOME).isNull())
    present = sorted(r[C.LABEL_COL] for r in kept_df.select(C.LABEL_COL).distinct().collect())  # labels: small
    names = C.label_names(ccfg, present)
    data_df = (
        kept_df.transform(C.with_label_index, names)
        .select("source", "doc_id", "month", "lang", "tokens", C.LABEL_COL, C.LABEL_IDX)
        .transform(C.with_split, ccfg["split"])
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    split_counts: dict[str, dict[str, int]] = {}
    for r in data_df.groupBy(C.SPLIT_COL, C.LABEL_COL).count().collect():  # splits x labels
        split_counts.setdefault(r[C.SPLIT_COL], {})[r[C.LABEL_COL]] = int(r["count"])
    month_span = data_df.agg(F.min("month").alias("lo"), F.max("month").alias("hi")).first()
    train_counts = split_counts.get("train", {})
    if len(train_counts) < 2:
        raise ConfigError(f"classifier `{name}`: the training split has labels {sorted(train_counts)}; need 2 or more")
    log.info("%s: %d labelled documents, splits %s (%.1fs)", name, sum(map(sum, [v.values() for v in split_counts.values()])),
             split_counts, time.monotonic() - t0)

    train_df = C.rebalance(data_df.where(F.col(C.SPLIT_COL) == "train"), ccfg["imbalance"], train_counts,
                           ccfg["split"]["seed"]).persist(StorageLevel.MEMORY_AND_DISK)
    trained_counts = C.class_counts(train_df)
    validation_df = data_df.where(F.col(C.SPLIT_COL) == "validation")
    if C.WEIGHT_COL in train_df.columns:
        weights = {r[C.LABEL_COL]: r[C.WEIGHT_COL] for r in train_df.select(C.LABEL_COL, C.WEIGHT_COL).distinct().collect()}
        weight = F.create_map(*[x for k, w in weights.items() for x in (F.lit(k), F.lit(float(w)))])
        validation_df = validation_df.withColumn(C.WEIGHT_COL, weight[F.col(C.LABEL_COL)])
    has_validation = bool(split_counts.get("validation"))
    t_fit0 = time.monotonic()
    model, tuning = C.fit(train_df, validation_df if has_validation else None, ccfg, len(names))
    t_fit = time.monotonic() - t_fit0
    log.info("%s: fitted %s in %.1fs (tuning %s, chosen %s)", name, C.model_kind(model), t_fit, tuning["method"],
             tuning["chosen"])

    uri = model_uri(cfg, name, version)
    model.write().overwrite().save(uri)
    test_df = data_df.where(F.col(C.SPLIT_COL) == "test")
    binary = len(names) == 2
    report = None
    if split_counts.get("test"):
        scored = C.score(model, test_df, names, ccfg["infer"]["top_k"]).persist(StorageLevel.MEMORY_AND_DISK)
        report = E.evaluate(scored, names, ccfg["evaluation"], binary)
        report.update({"model": name, "version": version, "dataset": "test split"})
        E.write_report(spark, uri + "/report", report, f"{name} {version}: test split")
        scored.unpersist()
    metadata = {
        "kind": "classifier",
        "name": name,
        "version": version,
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
        "seconds": {"fit": round(t_fit, 3), "total": round(time.monotonic() - t0, 3)},
        "versions": io.versions(spark),
        "classifier_config": ccfg["_path"],
    }
    io.write_text(spark, uri + "/metadata.json", json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    io.write_text(spark, cfg.uri("models", name, "LATEST"), version + "\n")
    train_df.unpersist()
    data_df.unpersist()
    ex_df.unpersist()
    manifest.outputs.update({"model": uri, "report": metadata["report"]})
    manifest.extra = {"version": version, "labels": names, "metrics": metadata["metrics"], "tuning": tuning}
    manifest.close(spark, cfg.base_uri)
    log.info("train_classifier: %s version %s at %s: %s (%.1fs)", name, version, uri, metadata["metrics"],
             time.monotonic() - t0)
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
