"""Predefined split (``split.method: column``): the split column of the labels dataset or of documents_clean,
mapped to train / validation / test; null, unknown or disagreeing values are ``filtered:no_split``; and end to end
(train -> metrics on the predefined test split -> evaluate recomputing the same holdout)."""
from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path

import pandas as pd
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import config
from vocspark.config import ConfigError
from vocspark.jobs import evaluate, train_classifier
from vocspark.models import classifiers as C

ROOT = Path(__file__).resolve().parents[2]
DOCS = T.StructType([
    T.StructField("source", T.StringType(), False),
    T.StructField("doc_id", T.StringType(), False),
    T.StructField("month", T.StringType(), False),
    T.StructField("lang", T.StringType(), False),
    T.StructField("tokens", T.ArrayType(T.StringType()), True),
    T.StructField("stars", T.IntegerType(), True),
    T.StructField("part", T.StringType(), True),
])
LABELS = T.StructType([
    T.StructField("doc_id", T.StringType(), True),
    T.StructField("flag", T.BooleanType(), True),
    T.StructField("split", T.StringType(), True),
])
OUT = "doc_id string, label string, _split_raw string, _outcome string"


@pytest.fixture(scope="module", autouse=True)
def _small_plans(small_plans):
    """Every test here runs with the shared ``small_plans`` settings (tests/conftest.py)."""


def cfg(**over) -> dict:
    data = {"name": "t", "task": "binary", "sources": ["tweets"], "langs": None,
            "labels": {"column": "flag", "path": "${base_uri}/labels", "values": {True: "yes", False: "no"},
                       "positive": "yes"},
            "split": {"method": "column"}}
    for key, value in over.items():
        node = data
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return C.check_config(data, "file:///base")


def docs(spark, rows):
    return spark.createDataFrame([("tweets", d, "2021-01", "es", toks, None, part) for d, toks, part in rows], DOCS)


def test_config_accepts_column_and_checks_the_mapping():
    c = cfg()
    assert c["split"]["method"] == "column" and c["split"]["column"] == "split" and c["split"]["values"] is None
    with pytest.raises(ConfigError, match="`split.values` maps to 'holdout'"):
        cfg(**{"split.values": {"dev": "validation", "eval": "holdout"}})


def test_split_from_labels_dataset_with_nulls_unknown_and_disagreeing_values(spark):
    docs_df = docs(spark, [("d1", ["a"], None), ("d2", ["b"], None), ("d3", ["c"], None), ("d4", ["d"], None),
                           ("d5", ["e"], None), ("d6", ["f"], None), ("d7", [], None), ("d8", ["h"], None)])
    labels_df = spark.createDataFrame(
        [("d1", True, "train"), ("d2", False, " test "), ("d3", True, None), ("d4", False, "holdout"),
         ("d5", True, "train"), ("d5", True, "test"), ("d6", True, "validation"), ("d6", True, None),
         ("d7", True, "train"), ("d8", None, "test")], LABELS)
    got = C.labelled_examples(docs_df, labels_df, cfg()).select("doc_id", "label", C.SPLIT_RAW, "_outcome")
    expected = spark.createDataFrame(
        [("d1", "yes", "train", None), ("d2", "no", " test ", None), ("d3", "yes", None, "filtered:no_split"),
         ("d4", "no", "holdout", "filtered:no_split"), ("d5", "yes", None, "filtered:no_split"),
         ("d6", "yes", "validation", None), ("d7", "yes", "train", "filtered:no_tokens"),
         ("d8", None, None, "filtered:no_label")], OUT)
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)
    split = C.with_split(got.where(F.col("_outcome").isNull()), cfg()["split"]).select("doc_id", "split")
    assert_df_equality(split, spark.createDataFrame([("d1", "train"), ("d2", "test"), ("d6", "validation")],
                                                    "doc_id string, split string"),
                       ignore_row_order=True, ignore_nullable=True)


def test_split_from_documents_column_with_a_mapping(spark):
    docs_df = docs(spark, [("d1", ["a"], "TRAIN"), ("d2", ["b"], "dev"), ("d3", ["c"], "eval"), ("d4", ["d"], None),
                           ("d5", ["e"], "train")])
    labels_df = spark.createDataFrame([(d, True, None) for d in ("d1", "d2", "d3", "d4", "d5")], LABELS)
    c = cfg(**{"split.column": "part", "split.values": {"TRAIN": "train", "dev": "validation", "eval": "test"}})
    got = C.labelled_examples(docs_df, labels_df, c)
    outcomes = {r["doc_id"]: r["_outcome"] for r in got.collect()}
    assert outcomes == {"d1": None, "d2": None, "d3": None, "d4": "filtered:no_split", "d5": "filtered:no_split"}
    split = {r["doc_id"]: r["split"] for r in C.with_split(got.where("_outcome is null"), c["split"]).collect()}
    assert split == {"d1": "train", "d2": "validation", "d3": "test"}
    # the labels dataset's `split` column is empty here, yet `split.column` part is not in it: documents_clean wins
    with pytest.raises(ConfigError, match="`split.column` 'nope' is neither"):
        C.labelled_examples(docs_df, labels_df, cfg(**{"split.column": "nope"}))


def test_random_and_time_methods_add_no_split_column_and_no_rule(spark):
    docs_df = docs(spark, [("d1", ["a"], "bogus")])
    labels_df = spark.createDataFrame([("d1", True, "bogus")], LABELS)
    got = C.labelled_examples(docs_df, labels_df, cfg(**{"split.method": "random"}))
    assert C.SPLIT_RAW not in got.columns and got.first()["_outcome"] is None


# ------------------------------------------------------------------------------------------ end to end
def _split_for(doc_id: str) -> str | None:
    bucket = zlib.crc32(doc_id.encode()) % 10
    return {0: "test", 1: "test", 2: "validation", 3: None, 4: "dev"}.get(bucket, "train")


@pytest.mark.integration
def test_train_and_evaluate_on_a_labels_dataset_with_a_split_column(spark, demo_base):
    base = demo_base
    cfg_ = config.load(ROOT / "conf" / "local.yaml", {"base_uri": str(base)})
    truth = pd.read_parquet(base / "truth" / "tweets")[["doc_id", "needs_support"]]
    truth["split"] = truth["doc_id"].map(_split_for)
    (base / "labels_split").mkdir()
    truth.to_parquet(base / "labels_split" / "part-0.parquet", index=False)

    docs = pd.read_parquet(base / "documents_clean", columns=["source", "doc_id", "lang", "n_tokens"])
    kept = docs[(docs["source"] == "tweets") & docs["lang"].isin(["es", "en"]) & (docs["n_tokens"] > 0)]
    labelled = truth[truth["needs_support"].notna()].drop_duplicates()  # the generator plants duplicate records
    labelled = labelled[~labelled["doc_id"].duplicated(keep=False)]  # (a conflicting doc_id would be rejected)
    scope = kept.merge(labelled, on="doc_id")
    by_split = scope["split"].fillna("none").value_counts().to_dict()
    assert by_split["test"] > 50 and by_split.get("none", 0) + by_split.get("dev", 0) > 0

    cset = ["features.kind=tfidf", "features.tfidf.ngram=1", "tuning.method=none", "model.max_iter=20",
            "evaluation.bootstrap=50", f"labels.path={base / 'labels_split'}", "split.method=column"]
    args = argparse.Namespace(model="needs_support", version="ps1", cset=cset, classifier_config=None, months=None,
                              until=None, train_months=None, as_of=None, run_id="tps")
    meta = train_classifier.run(spark, cfg_, args)
    splits = meta["training"]["documents_by_split_and_label"]
    assert {k: sum(v.values()) for k, v in splits.items()} == {
        "train": by_split["train"], "validation": by_split["validation"], "test": by_split["test"]}
    m = meta["metrics"]
    assert m["test_documents"] == by_split["test"] and m["roc_auc"] > 0.8
    tm = json.loads((base / "manifests" / "train_classifier" / "tps.json").read_text())
    assert tm["reconciled"] and tm["counts"]["filtered"]["no_split"] == by_split.get("none", 0) + by_split.get("dev", 0)
    assert meta["params"]["split"]["method"] == "column"

    rep = evaluate.run(spark, cfg_, argparse.Namespace(model="needs_support", version="ps1", months=None,
                                                       dataset="test", labels=None, run_id="eps"))
    assert rep["n"] == by_split["test"]
    report = json.loads((base / "models" / "needs_support" / "ps1" / "report" / "report.json").read_text())
    assert rep["confusion_matrix"] == report["confusion_matrix"]
    em = json.loads((base / "manifests" / "evaluate" / "eps.json").read_text())
    assert em["reconciled"] and em["counts"]["filtered"]["no_split"] == tm["counts"]["filtered"]["no_split"]
    # --dataset all needs no split: every labelled document in scope is scored
    rep_all = evaluate.run(spark, cfg_, argparse.Namespace(model="needs_support", version="ps1", months=None,
                                                           dataset="all", labels=None, run_id="eps_all"))
    assert rep_all["n"] == len(scope)
