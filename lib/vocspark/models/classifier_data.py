"""What the classifier jobs share: the classifier config of a run, the labelled examples, the holdout, the
settings stored with a model, and a registered classifier version. (Job modules never import each other.)

- :func:`classifier_config`: ``conf/classifiers/<model>.yaml`` (or ``classifier_config``) with ``cset``
  overrides, validated; its ``name`` must be the model's.
- :func:`examples`: the documents of the classifier's sources and months with their label and ``_outcome``
  (:func:`vocspark.models.classifiers.labelled_examples`).
- :func:`holdout`: the labelled documents a saved model is evaluated on (its test split recomputed by the
  training rule, or every labelled document).
- :func:`classifier_version`: a committed version from the registry (default: the champion), checked to be a
  classifier.
"""
from __future__ import annotations


from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import ConfigError, parse_override
from vocspark.models import classifiers as C
from vocspark.models.registry import CHAMPION, ModelRegistry, ModelVersion


def classifier_config(cfg, model: str, classifier_config_path: str | None = None, cset: tuple[str, ...] | list[str] = (),
                      spark: SparkSession | None = None) -> dict:
    if not model:
        raise ConfigError("--model is required")
    overrides = dict(parse_override(o) for o in (cset or ()))
    path = C.config_path(cfg, model, classifier_config_path)
    ccfg = C.load_config(path, cfg.base_uri, overrides, spark)
    if ccfg["name"] != model:
        raise ConfigError(f"{path}: `name` is {ccfg['name']!r} but --model is {model!r}")
    ccfg["_path"] = str(path)
    return ccfg


def read_documents(spark: SparkSession, cfg, sources: list[str], months: list[str] | None) -> DataFrame:
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


def labels_input(ccfg: dict) -> str:
    """What the manifest names as the labels input."""
    return ccfg["labels"]["path"] or f"documents_clean.{ccfg['labels']['column']}"


def examples(spark: SparkSession, cfg, ccfg: dict, months: list[str] | None, predefined_split: bool | None = None
             ) -> DataFrame:
    """Labelled examples with ``_outcome`` (all documents in scope, kept or not); ``predefined_split``: see
    :func:`vocspark.models.classifiers.labelled_examples`."""
    docs_df = read_documents(spark, cfg, ccfg["sources"], months)
    if ccfg["labels"]["path"] is None and ccfg["labels"]["column"] not in docs_df.columns:
        raise ConfigError(f"{ccfg['_path']}: `labels.column` {ccfg['labels']['column']!r} is not a documents_clean "
                          "column; set `labels.path` to a labels dataset keyed by doc_id")
    return C.labelled_examples(docs_df, read_labels(spark, ccfg), ccfg, predefined_split)


def reject_and_count(cfg, job: str, run_id: str, ex_df: DataFrame, manifest: io.Manifest) -> None:
    """Outcome counts of ``ex_df`` into ``manifest``; its rejected rows to ``rejected/job=<job>/``."""
    manifest.add_counts(io.outcome_counts(ex_df))
    if manifest.rejected:
        raw = F.to_json(F.struct("doc_id", F.col("_raw_label").alias("labels")))
        rej = io.rejected_rows(ex_df.withColumn("raw", raw), job, run_id, io.run_month())
        io.write_rejected(rej, cfg.base_uri)
        manifest.outputs["rejected"] = cfg.uri("rejected")


def stored_config(meta: dict, labels_path: str | None = None) -> dict:
    """The classifier settings saved with a model (what evaluate and compare_models need)."""
    ccfg = {k: v for k, v in meta["params"].items()}
    ccfg.update({"name": meta["name"], "task": meta["task"], "sources": meta["sources"], "langs": meta["langs"],
                 "_path": f"metadata of {meta['name']} {meta['version']}"})
    if labels_path:
        ccfg["labels"] = {**ccfg["labels"], "path": labels_path}
    return ccfg


def holdout(
    spark: SparkSession, cfg, ccfg: dict, names: list[str], months: list[str] | None, dataset: str,
    job: str, run_id: str, manifest: io.Manifest,
) -> DataFrame:
    """The labelled documents to score (label, label_idx, tokens, ...); counts go to ``manifest`` and rejected
    documents to ``rejected/job=<job>/``. Filtered besides the label rules: ``label_not_in_model``,
    ``not_in_holdout`` (``dataset`` test: not in the test split recomputed by the training rule; a predefined
    split (``split.method`` column) is read again from its column, and a document without one is
    ``filtered:no_split``). ``dataset`` all needs no split (nor the split column)."""
    use_split = dataset == "test"
    predefined = use_split and ccfg["split"]["method"] == "column"
    ex_df = examples(spark, cfg, ccfg, months, predefined).persist(StorageLevel.MEMORY_AND_DISK)
    reject_and_count(cfg, job, run_id, ex_df.where(F.col(io.OUTCOME).isNotNull()), manifest)
    kept_df = ex_df.where(F.col(io.OUTCOME).isNull())
    data_df = kept_df.transform(C.with_label_index, names).select(C.example_columns(predefined))
    if use_split:
        data_df = data_df.transform(C.with_split, ccfg["split"])
    not_holdout = (F.col(C.SPLIT_COL) != "test") if use_split else F.lit(False)
    outcome = io.first_outcome(
        (F.col(C.LABEL_IDX).isNull(), io.filtered("label_not_in_model")),
        (not_holdout, io.filtered("not_in_holdout")),
    )
    data_df = data_df.withColumn(io.OUTCOME, outcome).persist(StorageLevel.MEMORY_AND_DISK)
    manifest.add_counts(io.outcome_counts(data_df))
    return data_df.where(F.col(io.OUTCOME).isNull()).drop(io.OUTCOME)


def classifier_version(registry: ModelRegistry, name: str, version: str | None = None,
                       alias: str = CHAMPION) -> ModelVersion:
    """``version``, or the one ``alias`` names, of classifier ``name``; fails unless it is a classifier."""
    mv = registry.get(name, version, alias)
    if mv.metadata.get("kind") != "classifier":
        raise ConfigError(f"{mv.uri} is not a classifier model (metadata kind {mv.metadata.get('kind')!r})")
    return mv
