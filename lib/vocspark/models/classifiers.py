"""Text classifiers: one configurable path for binary and multi-class use cases (``conf/classifiers/<name>.yaml``).

Pieces, each a function ``DataFrame -> DataFrame`` or a pipeline builder:

- :func:`labelled_examples`: documents + their label (from a documents column or a labels dataset keyed by
  ``doc_id``), with an ``_outcome`` per document (kept, ``filtered:lang|no_label|no_tokens``,
  ``rejected:conflicting_labels|unknown_label``, and ``filtered:no_split`` with a predefined split).
- :func:`with_label_index`: label name -> index through the label map (binary: negative 0, positive 1;
  multi-class: names sorted alphabetically).
- :func:`with_split`: reproducible train / validation / test. ``random``: stratified by label, exactly: within
  each label, documents are ordered by a seeded hash of doc_id (ties by doc_id) and the first ``test`` share goes
  to test, the next ``validation`` share to validation, the rest to train. ``time``: the newest ``test_months``
  months are test, the ``validation_months`` before them validation, older months train. ``column``: a
  predefined split: the value of ``split.column`` (default ``split``) in the labels dataset (when it has the
  column) or in documents_clean, trimmed, mapped by ``split.values`` (raw value -> train / validation / test;
  default: the three names themselves); a document whose value is null, unknown, or (labels dataset) not one
  value over its rows is ``filtered:no_split`` (:func:`labelled_examples`).
- :func:`rebalance`: ``undersample`` / ``oversample`` (binary) to a target share of the minority class, exactly
  (rows kept or repeated by their hash rank within the class); ``class_weights`` adds ``weight`` =
  n / (classes x n_class).
- :func:`build_pipeline`: a :class:`~vocspark.models.classifier_stages.ScoringGuard` (the tokens the features
  read), features (``tfidf``: unigrams + n-grams of order ``ngram``, CountVectorizer, IDF;
  ``word2vec``: Word2Vec trained on the corpus, the document vector = the average of its in-vocabulary token
  vectors over all its tokens, Spark's rule; ``both``: the two concatenated) and the model
  (``logistic_regression`` binomial or multinomial, ``one_vs_rest`` over binary LogisticRegression,
  ``linear_svc``, one-vs-rest for more than two classes).
- :func:`fit`: no tuning, ``train_validation_split`` (every grid point fitted on train and scored on the
  validation split) or ``cross_validator`` (k folds over train + validation); the chosen point is refitted on
  train + validation when ``refit_on_train_and_validation``. A grid over the inner classifier of one-vs-rest
  (``one_vs_rest``, multi-class ``linear_svc``) gives one OneVsRest per grid point through the Pipeline's
  ``stages`` param: a param map on the inner classifier is overridden by ``OneVsRest.copy`` (PySpark copies the
  original inner classifier over it), so every point would be fitted with the config's value.
- :func:`self_contained`: the fitted pipeline + the scoring stages of :mod:`vocspark.models.classifier_stages`
  (known-token check, class probabilities, label names, top-k, model name and version): what training saves, so
  ``PipelineModel.load(uri).transform(documents_clean_df)`` gives the predictions contract columns.
- :func:`score`: for evaluation: every document scored (no known-token check), with ``_probs`` and ``pred_idx``.
"""
from __future__ import annotations

import itertools
import logging
import os
from pathlib import Path
from typing import Any

import yaml
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LinearSVC, LogisticRegression, OneVsRest
from pyspark.ml.evaluation import BinaryClassificationEvaluator, MulticlassClassificationEvaluator
from pyspark.ml.feature import IDF, CountVectorizer, NGram, SQLTransformer, VectorAssembler, Word2Vec
from pyspark.ml.tuning import CrossValidator
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import PROJECT_ROOT, ConfigError, Field, is_remote, validate
from vocspark.models import classifier_stages as S

log = logging.getLogger(__name__)

OUTCOME = io.OUTCOME
LABEL_COL, LABEL_IDX, WEIGHT_COL, SPLIT_COL, FEATURES = "label", "label_idx", "weight", "split", "features"
SPLITS = ("train", "validation", "test")
SPLIT_RAW = "_split_raw"  # method column: the raw split value of a document (string), until with_split maps it
BINARY_METRICS = ("areaUnderROC", "areaUnderPR")
MULTICLASS_METRICS = ("f1", "accuracy", "weightedPrecision", "weightedRecall")
GRID_KEYS = {
    "tfidf.ngram", "tfidf.vocab_size", "tfidf.min_df",
    "word2vec.vector_size", "word2vec.window", "word2vec.min_count",
    "model.reg_param", "model.elastic_net", "model.max_iter",
}


def _positive(v):
    return None if v > 0 else "must be > 0"


def _fraction(v):
    return None if 0 <= v < 1 else "must be >= 0 and < 1"


def _ratio(v):
    return None if 0 < v < 1 else "must be between 0 and 1 (exclusive)"


def _grid(v):
    unknown = sorted(set(v) - GRID_KEYS)
    if unknown:
        return f"has unknown parameter `{unknown[0]}` (allowed: {', '.join(sorted(GRID_KEYS))})"
    for key, values in v.items():
        if not isinstance(values, list) or not values:
            return f"`{key}` must be a non-empty list"
    return None


CLASSIFIER_SPEC = {
    "name": Field(str, required=True),
    "task": Field(str, required=True, choices=("binary", "multiclass")),
    "description": Field(str, default=""),
    "sources": Field(list, required=True, item_type=str),
    "langs": Field(list, item_type=str),  # None = every language
    "labels": {
        "column": Field(str, required=True),  # label column: in `path` when given, else in documents_clean
        "path": Field(str),  # Parquet dataset keyed by `id_column`; ${base_uri} expands
        "id_column": Field(str, default="doc_id"),
        "values": Field(dict, item_type=str),  # raw value (as string) -> label name; others are rejected
        "positive": Field(str),  # binary: the positive class (default: the second label alphabetically)
        "note": Field(str),  # where the labels come from (e.g. "planted truth, demo only")
    },
    "features": {
        "kind": Field(str, default="tfidf", choices=("tfidf", "word2vec", "both")),
        "tfidf": {
            "ngram": Field(int, default=2, check=_positive),  # unigrams + n-grams of this order (1 = unigrams)
            "vocab_size": Field(int, default=50000, check=_positive),
            "min_df": Field(float, default=2.0, check=_positive),
            "binary": Field(bool, default=False),
        },
        "word2vec": {
            "vector_size": Field(int, default=100, check=_positive),
            "window": Field(int, default=5, check=_positive),
            "min_count": Field(int, default=2, check=_positive),
            "max_iter": Field(int, default=1, check=_positive),
            "num_partitions": Field(int, default=1, check=_positive),
            "step_size": Field(float, default=0.025, check=_positive),
            "seed": Field(int, default=42),
        },
    },
    "model": {
        "kind": Field(str, default="logistic_regression", choices=("logistic_regression", "one_vs_rest", "linear_svc")),
        "reg_param": Field(float, default=0.01, check=lambda v: None if v >= 0 else "must be >= 0"),
        "elastic_net": Field(float, default=0.0, check=lambda v: None if 0 <= v <= 1 else "must be between 0 and 1"),
        "max_iter": Field(int, default=100, check=_positive),
    },
    "split": {
        "method": Field(str, default="random", choices=("random", "time", "column")),
        "column": Field(str, default="split"),  # method column: in labels.path when it has it, else documents_clean
        "values": Field(dict, item_type=str),  # method column: raw value -> train|validation|test (default: same)
        "validation": Field(float, default=0.15, check=_fraction),
        "test": Field(float, default=0.15, check=_fraction),
        "test_months": Field(int, default=1, check=_positive),
        "validation_months": Field(int, default=1, check=lambda v: None if v >= 0 else "must be >= 0"),
        "seed": Field(int, default=42),
    },
    "imbalance": {
        "method": Field(str, default="none", choices=("none", "class_weights", "undersample", "oversample")),
        "target_ratio": Field(float, default=0.3, check=_ratio),  # minority share after resampling
    },
    "tuning": {
        "method": Field(str, default="none", choices=("none", "train_validation_split", "cross_validator")),
        "metric": Field(str, choices=BINARY_METRICS + MULTICLASS_METRICS),  # default: areaUnderROC / f1
        "folds": Field(int, default=3, check=lambda v: None if v >= 2 else "must be >= 2"),
        "grid": Field(dict, default={}, check=_grid),
        "refit_on_train_and_validation": Field(bool, default=True),
        "parallelism": Field(int, default=1, check=_positive),
    },
    "evaluation": {
        "minutes_per_item": Field(float, default=5.0, check=_positive),
        "curve_bins": Field(int, default=1000, check=_positive),
        "calibration_bins": Field(int, default=10, check=_positive),
        "bootstrap": Field(int, default=200, check=_positive),
        "seed": Field(int, default=7),
    },
    "infer": {
        "top_k": Field(int, default=3, check=_positive),
        "require_known_token": Field(bool, default=True),  # no token in the model's vocabulary -> null + reason
    },
    "compare": {
        "challenger_share": Field(float, default=0.5, check=_ratio),
        "salt": Field(str, default="ab-2021"),
        "alpha": Field(float, default=0.05, check=_ratio),
    },
    # the gate a candidate passes to become champion (``promote`` job, :mod:`vocspark.models.promotion`)
    "promotion": {
        "metric": Field(str, choices=("roc_auc", "macro_f1", "accuracy", "weighted_f1", "pr_auc")),  # default: primary
        "max_drop": Field(float, default=0.005, check=lambda v: None if v >= 0 else "must be >= 0"),
        "mcnemar_alpha": Field(float, default=0.05, check=_ratio),
        "min_test_documents": Field(int, default=100, check=lambda v: None if v >= 0 else "must be >= 0"),
    },
}


# ------------------------------------------------------------------------------------------ config
def config_path(cfg, name: str, explicit: str | None = None) -> str:
    """``--classifier-config``, else ``<classifiers.conf_dir>/<name>.yaml``. A relative folder resolves against
    the folder that holds the main config's ``conf/`` (as the main config's paths do); ``s3://`` works too."""
    if explicit:
        return explicit
    folder = (cfg.get("classifiers") or {}).get("conf_dir") or "conf/classifiers"
    if is_remote(folder):
        return f"{folder.rstrip('/')}/{name}.yaml"
    folder_path = Path(folder)
    if not folder_path.is_absolute():
        main = Path(cfg.path).resolve() if getattr(cfg, "path", None) else None
        root = main.parent.parent if main is not None and main.parent.name == "conf" else PROJECT_ROOT
        folder_path = root / folder_path
    return str(folder_path / f"{name}.yaml")


def load_config(path: str | os.PathLike, base_uri: str, overrides: dict | None = None, spark=None) -> dict:
    """Read and validate a classifier config (unknown keys, wrong types and bad combinations fail naming the
    key); ``${base_uri}`` in ``labels.path`` expands. Remote paths (``s3://``) are read through ``spark``."""
    if is_remote(str(path)):
        if spark is None or not io.path_exists(spark, str(path)):
            raise ConfigError(f"classifier config not found: {path}")
        text = io.read_text(spark, str(path))
    else:
        if not Path(path).is_file():
            raise ConfigError(f"classifier config not found: {path}")
        text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    for key, value in (overrides or {}).items():
        node = data
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return check_config(data, base_uri, origin=str(path))


def check_config(data: dict, base_uri: str, origin: str = "classifier config") -> dict:
    ccfg = validate(data, CLASSIFIER_SPEC, origin=origin)
    if ccfg["labels"]["path"]:
        ccfg["labels"]["path"] = ccfg["labels"]["path"].replace("${base_uri}", base_uri.rstrip("/"))
    split = ccfg["split"]
    if split["method"] == "random" and split["validation"] + split["test"] >= 1:
        raise ConfigError(f"{origin}: `split.validation` + `split.test` must be < 1")
    bad_split = sorted(set((split["values"] or {}).values()) - set(SPLITS))
    if bad_split:
        raise ConfigError(f"{origin}: `split.values` maps to {bad_split[0]!r}; values must be one of {', '.join(SPLITS)}")
    if ccfg["task"] == "multiclass" and ccfg["imbalance"]["method"] in ("undersample", "oversample"):
        raise ConfigError(f"{origin}: `imbalance.method` {ccfg['imbalance']['method']} needs task binary "
                          "(use class_weights for multiclass)")
    metric = ccfg["tuning"]["metric"]
    if metric is None:
        ccfg["tuning"]["metric"] = "areaUnderROC" if ccfg["task"] == "binary" else "f1"
    elif ccfg["task"] == "multiclass" and metric in BINARY_METRICS:
        raise ConfigError(f"{origin}: `tuning.metric` {metric} is for binary tasks")
    if ccfg["tuning"]["method"] == "train_validation_split" and split["method"] == "random" and split["validation"] == 0:
        raise ConfigError(f"{origin}: `tuning.method` train_validation_split needs `split.validation` > 0")
    return ccfg


# ------------------------------------------------------------------------------------------ labels
def _raw_key(value: Any) -> str:
    """A ``labels.values`` key as the string Spark makes of the raw value (YAML true -> "true")."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def labelled_examples(docs_df: DataFrame, labels_df: DataFrame | None, ccfg: dict,
                      predefined_split: bool | None = None) -> DataFrame:
    """``docs_df`` (documents_clean of the classifier's sources) + ``label`` (string) + ``_outcome``.

    The label is ``labels.column`` of ``labels_df`` joined on doc_id, or of ``docs_df`` itself; a raw value is
    turned into a string (booleans as ``true``/``false``) and renamed by ``labels.values`` when given. First
    rule that holds: ``filtered:lang`` (language not in ``langs``), ``rejected:conflicting_labels`` (the labels
    dataset gives the document more than one distinct label), ``filtered:no_label`` (none), ``rejected:
    unknown_label`` (a value ``labels.values`` does not name), ``filtered:no_split`` (predefined split: no
    train / validation / test value, see :func:`split_of`), ``filtered:no_tokens`` (empty after cleaning).

    ``predefined_split`` (default: ``split.method`` is ``column``) adds ``_split_raw``: the document's
    ``split.column`` from the labels dataset when it has that column (its rows' one distinct non-null value; null
    when they disagree), else from ``docs_df``.
    """
    lcfg = ccfg["labels"]
    split_cfg = ccfg["split"]
    if predefined_split is None:
        predefined_split = split_cfg["method"] == "column"
    split_name = split_cfg.get("column") or "split"
    split_in_labels = predefined_split and labels_df is not None and split_name in labels_df.columns
    if predefined_split and not split_in_labels and split_name not in docs_df.columns:
        raise ConfigError(f"{ccfg.get('_path', 'classifier config')}: `split.column` {split_name!r} is neither a "
                          "column of the labels dataset nor of documents_clean")
    if labels_df is None:
        with_raw = docs_df.withColumn("_raw_labels", F.array(F.col(lcfg["column"]).cast("string")))
    else:
        for key in ("column", "id_column"):
            if lcfg[key] not in labels_df.columns:
                raise ConfigError(f"`labels.{key}` {lcfg[key]!r} is not a column of the labels dataset "
                                  f"{lcfg['path']} (have: {', '.join(labels_df.columns)})")
        raw = F.col(lcfg["column"]).cast("string")
        raw_split = F.col(split_name).cast("string") if split_in_labels else F.lit(None).cast("string")
        per_doc = (
            labels_df.select(F.col(lcfg["id_column"]).cast("string").alias("doc_id"), raw.alias("_raw"),
                             raw_split.alias("_split"))
            .where(F.col("_raw").isNotNull())
            .groupBy("doc_id").agg(F.array_sort(F.collect_set("_raw")).alias("_raw_labels"),
                                   F.collect_set("_split").alias("_splits"))
        )
        one_split = F.when(F.size("_splits") == 1, F.col("_splits").getItem(0))  # none or disagreeing -> null
        per_doc = (per_doc.withColumn(SPLIT_RAW, one_split) if split_in_labels else per_doc).drop("_splits")
        with_raw = docs_df.join(per_doc, "doc_id", "left")
    if predefined_split and not split_in_labels:
        with_raw = with_raw.withColumn(SPLIT_RAW, F.col(split_name).cast("string"))
    raw_label = F.col("_raw_labels").getItem(0)
    if lcfg["values"]:
        mapping = F.create_map(*[x for k, v in lcfg["values"].items() for x in (F.lit(_raw_key(k)), F.lit(v))])
        label = mapping[raw_label]
    else:
        label = raw_label
    langs = ccfg["langs"]
    out_of_lang = ~F.col("lang").isin(langs) if langs else F.lit(False)
    no_label = F.coalesce(F.size(F.filter("_raw_labels", lambda x: x.isNotNull())), F.lit(0)) <= 0  # size(null) = -1
    conflicting = F.coalesce(F.size("_raw_labels"), F.lit(0)) > 1
    no_tokens = F.coalesce(F.size("tokens"), F.lit(0)) <= 0
    outcome = io.first_outcome(
        (out_of_lang, io.filtered("lang")),
        (conflicting, io.reject("conflicting_labels")),
        (no_label, io.filtered("no_label")),
        (label.isNull(), io.reject("unknown_label")),
        (split_of(F.col(SPLIT_RAW), split_cfg).isNull() if predefined_split else F.lit(False), io.filtered("no_split")),
        (no_tokens, io.filtered("no_tokens")),
    )
    return with_raw.withColumns({LABEL_COL: label, OUTCOME: outcome, "_raw_label": F.array_join("_raw_labels", "|")})


def label_names(ccfg: dict, present: list[str]) -> list[str]:
    """The label map (index -> name). Binary: [negative, positive]; multi-class: names sorted."""
    names = sorted(set(present))
    if ccfg["labels"]["values"]:
        names = sorted(set(ccfg["labels"]["values"].values()) | set(names))
    if ccfg["task"] == "binary":
        if len(names) != 2:
            raise ConfigError(f"classifier `{ccfg['name']}` is binary but its labels are {names}")
        positive = ccfg["labels"]["positive"] or names[1]
        if positive not in names:
            raise ConfigError(f"`labels.positive` {positive!r} is not one of the labels {names}")
        names = [n for n in names if n != positive] + [positive]
    elif len(names) < 2:
        raise ConfigError(f"classifier `{ccfg['name']}` needs at least 2 labels, found {names}")
    return names


def with_label_index(df: DataFrame, names: list[str]) -> DataFrame:
    index = F.create_map(*[x for i, n in enumerate(names) for x in (F.lit(n), F.lit(float(i)))])
    return df.withColumn(LABEL_IDX, index[F.col(LABEL_COL)])


def unit_hash(seed: int | str, *cols: str | Column) -> Column:
    """A uniform number in [0, 1) that depends only on the columns' values and the seed (not on partitioning)."""
    h = F.xxhash64(F.lit(seed), *[F.col(c) if isinstance(c, str) else c for c in cols])
    return F.pmod(h, F.lit(1 << 31).cast("long")) / F.lit(float(1 << 31))


def split_of(raw: Column, split_cfg: dict) -> Column:
    """Predefined split: train / validation / test for a raw split value (cast to string and trimmed, then mapped
    by ``split.values``, default the three names themselves); null for null or any other value."""
    values = split_cfg.get("values") or {s: s for s in SPLITS}
    mapping = F.create_map(*[x for k, v in values.items() for x in (F.lit(_raw_key(k)), F.lit(v))])
    return mapping[F.trim(raw.cast("string"))]


def example_columns(predefined_split: bool = False) -> list[str]:
    """The columns of labelled examples that splitting, training and scoring need (+ the raw predefined split)."""
    base = ["source", "doc_id", "month", "lang", "tokens", LABEL_COL, LABEL_IDX]
    return base + [SPLIT_RAW] if predefined_split else base


def with_split(df: DataFrame, split_cfg: dict) -> DataFrame:
    """Adds ``split`` (train / validation / test); see the module docstring for the rules. Method ``column``
    maps ``_split_raw`` (:func:`labelled_examples`) when present, else ``split.column`` of ``df``; a row without a
    valid value gets a null split (:func:`labelled_examples` has filtered it as ``no_split`` already)."""
    if split_cfg["method"] == "column":
        raw = F.col(SPLIT_RAW) if SPLIT_RAW in df.columns else F.col(split_cfg.get("column") or "split")
        return df.withColumn(SPLIT_COL, split_of(raw, split_cfg)).drop(SPLIT_RAW)
    if split_cfg["method"] == "time":
        months = sorted(r["month"] for r in df.select("month").distinct().collect())  # months: small
        test = set(months[-split_cfg["test_months"]:])
        rest = [m for m in months if m not in test]
        val = set(rest[len(rest) - split_cfg["validation_months"]:]) if split_cfg["validation_months"] else set()
        split = (F.when(F.col("month").isin(sorted(test)), "test")
                 .when(F.col("month").isin(sorted(val)), "validation").otherwise("train"))
        return df.withColumn(SPLIT_COL, split)
    whole = Window.partitionBy(LABEL_COL).rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    ranked = df.withColumn("_u", unit_hash(split_cfg["seed"], "doc_id")).withColumns(
        {"_rn": F.row_number().over(Window.partitionBy(LABEL_COL).orderBy(F.col("_u"), F.col("doc_id"))),
         "_n": F.count(F.lit(1)).over(whole)}
    )
    position = (F.col("_rn") - 1) / F.col("_n")
    t, v = split_cfg["test"], split_cfg["validation"]
    split = F.when(position < t, "test").when(position < t + v, "validation").otherwise("train")
    return ranked.withColumn(SPLIT_COL, split).drop("_u", "_rn", "_n")


def class_counts(df: DataFrame) -> dict[str, int]:
    return {r[LABEL_COL]: int(r["count"]) for r in df.groupBy(LABEL_COL).count().collect()}  # one row per class


def rebalance(df: DataFrame, imb_cfg: dict, counts: dict[str, int], seed: int = 42) -> DataFrame:
    """The training rows after the configured rebalancing (see the module docstring). ``counts``: rows per label
    in ``df``. Resampling is exact: the minority class ends at ``round(target_ratio x total)`` of the rows."""
    method = imb_cfg["method"]
    if method == "none" or len(counts) < 2:
        return df
    total = sum(counts.values())
    if method == "class_weights":
        weights = {label: total / (len(counts) * n) for label, n in counts.items()}
        weight = F.create_map(*[x for k, w in weights.items() for x in (F.lit(k), F.lit(float(w)))])
        return df.withColumn(WEIGHT_COL, weight[F.col(LABEL_COL)])
    minority = min(counts, key=lambda k: (counts[k], k))
    majority = max(counts, key=lambda k: (counts[k], k))
    n_min, n_maj = counts[minority], counts[majority]
    r = imb_cfg["target_ratio"]
    ranked = df.withColumn("_rn", F.row_number().over(
        Window.partitionBy(LABEL_COL).orderBy(unit_hash(seed, "doc_id"), F.col("doc_id"))))
    if method == "undersample":
        keep_maj = min(n_maj, int(round(n_min * (1 - r) / r)))
        keep_min = min(n_min, int(round(n_maj * r / (1 - r)))) if keep_maj == n_maj else n_min
        kept = F.when(F.col(LABEL_COL) == minority, F.col("_rn") <= keep_min).otherwise(F.col("_rn") <= keep_maj)
        return ranked.where(kept).drop("_rn")
    # oversample: repeat minority rows until they are r of the rows (majority untouched)
    target = max(n_min, int(round(n_maj * r / (1 - r))))
    base, extra = divmod(target, n_min)
    reps = F.when(F.col(LABEL_COL) == minority,
                  F.lit(base) + F.when(F.col("_rn") <= extra, 1).otherwise(0)).otherwise(F.lit(1))
    return ranked.withColumn("_rep", F.explode(F.sequence(F.lit(1), reps))).drop("_rn", "_rep")


# ------------------------------------------------------------------------------------------ pipeline
def _base_classifier(mcfg: dict, binary: bool, weighted: bool, kind: str | None = None):
    kind = kind or mcfg["kind"]
    common = dict(featuresCol=FEATURES, labelCol=LABEL_IDX, maxIter=mcfg["max_iter"], regParam=mcfg["reg_param"])
    if kind == "linear_svc":
        clf = LinearSVC(**common)
    else:
        clf = LogisticRegression(elasticNetParam=mcfg["elastic_net"],
                                 family="binomial" if binary or kind == "one_vs_rest" else "multinomial", **common)
    if weighted:
        clf.setWeightCol(WEIGHT_COL)
    return clf


def build_pipeline(ccfg: dict, n_classes: int, weighted: bool) -> tuple[Pipeline, dict[str, tuple[Any, str]]]:
    """The whole pipeline (features + model) and the handles of its tunable params (grid key -> (stage, param))."""
    fcfg, mcfg = ccfg["features"], ccfg["model"]
    stages, handles, vectors = [S.ScoringGuard(langs=ccfg["langs"] or [])], {}, []
    kind = fcfg["kind"]
    single = kind != "both"
    if kind in ("tfidf", "both"):
        t = fcfg["tfidf"]
        ngram = NGram(n=max(t["ngram"], 1), inputCol=S.SAFE_TOKENS, outputCol="_ngrams")
        # n-grams of order >= 2 contain a space (tokens never do): with n = 1 only the unigrams remain
        terms = SQLTransformer(statement=f"SELECT *, concat(coalesce({S.SAFE_TOKENS}, array()), "
                                         "filter(coalesce(_ngrams, array()), x -> instr(x, ' ') > 0)) AS _terms FROM __THIS__")
        cv = CountVectorizer(inputCol="_terms", outputCol="_tf", vocabSize=t["vocab_size"], minDF=t["min_df"],
                             binary=t["binary"])
        idf = IDF(inputCol="_tf", outputCol=FEATURES if single else "_tfidf")
        stages += [ngram, terms, cv, idf]
        handles.update({"tfidf.ngram": (ngram, "n"), "tfidf.vocab_size": (cv, "vocabSize"), "tfidf.min_df": (cv, "minDF")})
        vectors.append("_tfidf")
    if kind in ("word2vec", "both"):
        w = fcfg["word2vec"]
        w2v = Word2Vec(inputCol=S.SAFE_TOKENS, outputCol=FEATURES if single else "_w2v", vectorSize=w["vector_size"],
                       windowSize=w["window"], minCount=w["min_count"], maxIter=w["max_iter"],
                       numPartitions=w["num_partitions"], stepSize=w["step_size"], seed=w["seed"])
        stages.append(w2v)
        handles.update({"word2vec.vector_size": (w2v, "vectorSize"), "word2vec.window": (w2v, "windowSize"),
                        "word2vec.min_count": (w2v, "minCount")})
        vectors.append("_w2v")
    if not single:
        stages.append(VectorAssembler(inputCols=vectors, outputCol=FEATURES))
    binary = n_classes == 2
    if mcfg["kind"] == "one_vs_rest" or (mcfg["kind"] == "linear_svc" and not binary):
        inner = _base_classifier(mcfg, True, False, "linear_svc" if mcfg["kind"] == "linear_svc" else "one_vs_rest")
        model = OneVsRest(classifier=inner, featuresCol=FEATURES, labelCol=LABEL_IDX)
        if weighted:
            model.setWeightCol(WEIGHT_COL)
        handles.update({f"model.{k}": (model, "classifier:" + k) for k, p in _INNER.items() if inner.hasParam(p)})
    else:
        model = _base_classifier(mcfg, binary, weighted)
        handles.update({"model.reg_param": (model, "regParam"), "model.max_iter": (model, "maxIter")})
        if isinstance(model, LogisticRegression):
            handles["model.elastic_net"] = (model, "elasticNetParam")
    stages.append(model)
    pipeline = Pipeline(stages=stages)
    handles[PIPELINE] = (pipeline, "stages")
    return pipeline, handles


_INNER = {"reg_param": "regParam", "elastic_net": "elasticNetParam", "max_iter": "maxIter"}
PIPELINE = "_pipeline"  # handles entry: the pipeline itself (its `stages` param carries one OneVsRest per point)


def param_grid(grid: dict[str, list], handles: dict[str, tuple[Any, str]]) -> tuple[list[dict], list[dict]]:
    """Spark param maps and the matching plain grid points ({grid key: value}), in the same order.

    A one-vs-rest inner-classifier param becomes a new OneVsRest (with a copy of the inner classifier holding the
    point's values) in the map's ``Pipeline.stages``: see the module docstring for why not a map on the inner."""
    keys = [k for k in sorted(grid) if k in handles and k != PIPELINE]
    missing = sorted(set(grid) - set(handles) - {PIPELINE})
    if missing:
        raise ConfigError(f"`tuning.grid` names `{missing[0]}`, which this pipeline does not have")
    points = [dict(zip(keys, combo)) for combo in itertools.product(*[grid[k] for k in keys])] or [{}]
    maps = []
    for point in points:
        pm, inner_params = {}, {}
        for key, value in point.items():
            stage, pname = handles[key]
            if pname.startswith("classifier:"):
                inner_params[_INNER[pname.split(":", 1)[1]]] = value
                ovr = stage
            else:
                pm[stage.getParam(pname)] = value
        if inner_params:
            pipeline = handles[PIPELINE][0]
            inner = ovr.getClassifier().copy()
            inner._set(**inner_params)
            point_ovr = ovr.copy()
            point_ovr.setClassifier(inner)
            pm[pipeline.getParam("stages")] = [point_ovr if s is ovr else s for s in pipeline.getStages()]
        maps.append(pm)
    return maps, points


def evaluator(metric: str):
    if metric in BINARY_METRICS:
        return BinaryClassificationEvaluator(labelCol=LABEL_IDX, rawPredictionCol="rawPrediction", metricName=metric)
    return MulticlassClassificationEvaluator(labelCol=LABEL_IDX, predictionCol="prediction", metricName=metric)


def fit(train_df: DataFrame, validation_df: DataFrame | None, ccfg: dict, n_classes: int) -> tuple[PipelineModel, dict]:
    """Fit (and tune) the pipeline; returns the model and what tuning did (grid points with their metric)."""
    tcfg = ccfg["tuning"]
    weighted = WEIGHT_COL in train_df.columns
    pipeline, handles = build_pipeline(ccfg, n_classes, weighted)
    maps, points = param_grid(tcfg["grid"] if tcfg["method"] != "none" else {}, handles)
    metric = tcfg["metric"]
    info: dict[str, Any] = {"method": tcfg["method"], "metric": metric, "grid": [], "chosen": points[0]}
    if tcfg["method"] == "none" or len(maps) == 1 and tcfg["method"] == "train_validation_split":
        fit_df = train_df.unionByName(validation_df, allowMissingColumns=True) if (
            validation_df is not None and tcfg["refit_on_train_and_validation"] and tcfg["method"] != "none") else train_df
        return pipeline.fit(fit_df, maps[0]) if maps[0] else pipeline.fit(fit_df), info
    ev = evaluator(metric)
    larger_better = ev.isLargerBetter()
    if tcfg["method"] == "cross_validator":
        data = train_df if validation_df is None else train_df.unionByName(validation_df, allowMissingColumns=True)
        cv = CrossValidator(estimator=pipeline, estimatorParamMaps=maps, evaluator=ev, numFolds=tcfg["folds"],
                            seed=ccfg["split"]["seed"], parallelism=tcfg["parallelism"])
        cv_model = cv.fit(data)
        scores = list(cv_model.avgMetrics)
        best = _best(scores, larger_better)
        info["grid"] = [{"params": p, metric: round(float(s), 6)} for p, s in zip(points, scores)]
        info["chosen"] = points[best]
        return cv_model.bestModel, info
    scores = []
    for pm in maps:  # our own validation split (stratified or by time), not a second random one
        model = pipeline.fit(train_df, pm)
        scores.append(float(ev.evaluate(model.transform(validation_df))))
    best = _best(scores, larger_better)
    info["grid"] = [{"params": p, metric: round(s, 6)} for p, s in zip(points, scores)]
    info["chosen"] = points[best]
    fit_df = train_df.unionByName(validation_df, allowMissingColumns=True) if tcfg["refit_on_train_and_validation"] else train_df
    return pipeline.fit(fit_df, maps[best]), info


def _best(scores: list[float], larger_better: bool) -> int:
    """Index of the best grid point; ties go to the earlier point (grid order: keys sorted, values as listed)."""
    best = 0
    for i, s in enumerate(scores):
        if (s > scores[best]) if larger_better else (s < scores[best]):
            best = i
    return best


# ------------------------------------------------------------------------------------------ scoring
_SPARK_CLASSIFIERS = ("LogisticRegressionModel", "LinearSVCModel", "OneVsRestModel")


def classifier_stage(model: PipelineModel):
    """The Spark classifier model inside ``model`` (the last LogisticRegression / LinearSVC / OneVsRest model)."""
    for stage in reversed(model.stages):
        if type(stage).__name__ in _SPARK_CLASSIFIERS:
            return stage
    raise ConfigError("the model has no LogisticRegression, LinearSVC or OneVsRest stage")


def model_kind(model: PipelineModel) -> str:
    last = classifier_stage(model)
    name = type(last).__name__
    if name == "OneVsRestModel":
        inner = type(last.models[0]).__name__ if last.models else ""
        return "ovr_svc" if inner == "LinearSVCModel" else "ovr_lr"
    return "svc" if name == "LinearSVCModel" else "lr"


probabilities = S.probabilities
_ranked = S.ranked


def is_self_contained(model: PipelineModel) -> bool:
    return any(isinstance(s, S.ClassProbabilities) for s in model.stages)


def self_contained(model: PipelineModel, names: list[str], top_k: int, name: str, version: str,
                   require_known_token: bool = True, langs: list[str] | None = None) -> PipelineModel:
    """``model`` (fitted by :func:`fit`) with the scoring stages: its ScoringGuard checks known tokens (when
    ``require_known_token``; the vocabulary is :func:`vocabulary`), then ClassProbabilities (the model's kind, the
    label names by index, ``top_k``) and ModelStamp (``name``, ``version``). A model saved before the stages
    existed (its features read ``tokens``) gets a guard for ``langs`` that replaces ``tokens`` instead."""
    stages = [s for s in model.stages if not isinstance(s, (S.ClassProbabilities, S.ModelStamp))]
    vocab = vocabulary(model) if require_known_token else []
    if isinstance(stages[0], S.ScoringGuard):
        guard = stages[0].copy({stages[0].vocabulary: vocab, stages[0].requireKnownToken: require_known_token})
        stages = [guard] + stages[1:]
    else:
        stages = [S.ScoringGuard(langs=langs or [], vocabulary=vocab, requireKnownToken=require_known_token,
                                 outputCol="tokens")] + stages
    probs = S.ClassProbabilities(kind=model_kind(model), labels=list(names), topK=int(top_k))
    return PipelineModel(stages + [probs, S.ModelStamp(modelName=name, modelVersion=version)])


def legacy_scoring_model(model: PipelineModel, meta: dict) -> PipelineModel:
    """A self-contained model as is; a model saved before the scoring stages existed, completed from its
    metadata.json (labels, langs, infer settings, name, version)."""
    if is_self_contained(model):
        return model
    infer = meta["params"]["infer"]
    return self_contained(model, meta["labels"], infer["top_k"], meta["name"], meta["version"],
                          infer["require_known_token"], meta.get("langs"))


def with_top_k(model: PipelineModel, top_k: int) -> PipelineModel:
    """``model`` whose ClassProbabilities keeps ``top_k`` labels."""
    return PipelineModel([s.copy({s.topK: int(top_k)}) if isinstance(s, S.ClassProbabilities) else s
                          for s in model.stages])


def score(model: PipelineModel, df: DataFrame, names: list[str], top_k: int) -> DataFrame:
    """For evaluation: ``df`` + ``_probs`` (array<double>, by label index), ``pred_idx``, ``prediction`` (label
    name), ``probability`` (of the prediction), ``top_k`` and ``reason``, every document scored (the known-token
    check is off: evaluation measures the model on every labelled document, as training's test report does).
    ``model``: fitted by :func:`fit` or self-contained; ``names`` are the label names by index."""
    stages = []
    for s in model.stages:
        if isinstance(s, S.ScoringGuard):
            s = s.copy({s.requireKnownToken: False})
        elif isinstance(s, (S.ClassProbabilities, S.ModelStamp)):
            continue
        stages.append(s)
    if not isinstance(stages[0], S.ScoringGuard):
        stages = [S.ScoringGuard(outputCol="tokens")] + stages
    probs = S.ClassProbabilities(kind=model_kind(model), labels=list(names), topK=int(top_k), keepScores=True)
    return PipelineModel(stages + [probs]).transform(df)


def vocabulary(model: PipelineModel) -> list[str]:
    """Unigrams the model knows (CountVectorizer vocabulary and/or Word2Vec words); small (vocab_size)."""
    words: set[str] = set()
    for stage in model.stages:
        name = type(stage).__name__
        if name == "CountVectorizerModel":
            words.update(t for t in stage.vocabulary if " " not in t)
        elif name == "Word2VecModel":
            words.update(r["word"] for r in stage.getVectors().select("word").collect())
    return sorted(words)
