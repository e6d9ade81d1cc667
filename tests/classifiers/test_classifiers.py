"""Classifier building blocks on tiny hand-made DataFrames: label rules and rejects, exact stratified split,
rebalancing to the configured ratio, class weights, config validation, a planted signal learned by every
feature/model kind, PipelineModel save/load giving identical predictions, top-k order and ties, and the
inference reasons for documents the model cannot score."""
from __future__ import annotations

import random

import pytest
from chispa import assert_df_equality
from pyspark.ml import PipelineModel
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark.config import ConfigError
from vocspark.jobs import infer_classifier as infer
from vocspark.models import classifiers as C

DOCS = T.StructType([
    T.StructField("source", T.StringType(), False),
    T.StructField("doc_id", T.StringType(), False),
    T.StructField("user_id", T.StringType(), True),
    T.StructField("created_at", T.TimestampType(), True),
    T.StructField("month", T.StringType(), False),
    T.StructField("lang", T.StringType(), False),
    T.StructField("tokens", T.ArrayType(T.StringType()), True),
    T.StructField("star_rating", T.IntegerType(), True),
])


@pytest.fixture(scope="module", autouse=True)
def _small_plans(small_plans):
    """Every test here runs with the shared ``small_plans`` settings (tests/conftest.py)."""


def cfg(**over) -> dict:
    data = {"name": "t", "task": "binary", "sources": ["tweets"], "langs": ["es"],
            "labels": {"column": "flag", "path": "${base_uri}/labels", "values": {True: "yes", False: "no"},
                       "positive": "yes"},
            "features": {"kind": "tfidf", "tfidf": {"ngram": 2, "min_df": 1.0}},
            "model": {"max_iter": 30}, "split": {"validation": 0.2, "test": 0.2}}
    for key, value in over.items():
        node = data
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return C.check_config(data, "file:///base")


def docs(spark, rows):
    return spark.createDataFrame([("tweets", d, "u", None, "2021-01", lang, toks, None) for d, lang, toks in rows], DOCS)


# ------------------------------------------------------------------------------------------ config
def test_config_defaults_expansion_and_errors():
    c = cfg()
    assert c["labels"]["path"] == "file:///base/labels" and c["tuning"]["metric"] == "areaUnderROC"
    with pytest.raises(ConfigError, match="unknown key `model.regularisation`"):
        cfg(**{"model.regularisation": 1.0})
    with pytest.raises(ConfigError, match="`split.validation` \\+ `split.test`"):
        cfg(**{"split.validation": 0.6, "split.test": 0.5})
    with pytest.raises(ConfigError, match="needs task binary"):
        cfg(task="multiclass", **{"imbalance.method": "undersample"})
    with pytest.raises(ConfigError, match="`tuning.grid` has unknown parameter `model.depth`"):
        cfg(**{"tuning.grid": {"model.depth": [1, 2]}})
    with pytest.raises(ConfigError, match="`features.kind` must be one of"):
        cfg(**{"features.kind": "bert"})


# ------------------------------------------------------------------------------------------ labels
def test_labelled_examples_rules_and_rejects(spark):
    docs_df = docs(spark, [("d1", "es", ["hola"]), ("d2", "en", ["hi"]), ("d3", "es", ["x"]), ("d4", "es", ["y"]),
                           ("d5", "es", []), ("d6", "es", None), ("d7", "es", ["z"])])
    labels_df = spark.createDataFrame(
        [("d1", True), ("d1", True), ("d2", False), ("d3", True), ("d3", False), ("d5", False), ("d6", True),
         ("d7", None)], "doc_id string, flag boolean")
    out = C.labelled_examples(docs_df, labels_df, cfg()).select("doc_id", "label", F.col("_outcome"))
    expected = spark.createDataFrame(
        [("d1", "yes", None), ("d2", "no", "filtered:lang"), ("d3", None, "rejected:conflicting_labels"),
         ("d4", None, "filtered:no_label"), ("d5", "no", "filtered:no_tokens"), ("d6", "yes", "filtered:no_tokens"),
         ("d7", None, "filtered:no_label")], "doc_id string, label string, _outcome string")
    assert_df_equality(out.where(F.col("doc_id") != "d3").orderBy("doc_id"),
                       expected.where(F.col("doc_id") != "d3").orderBy("doc_id"), ignore_nullable=True)
    d3 = out.where(F.col("doc_id") == "d3").first()
    assert d3["_outcome"] == "rejected:conflicting_labels"


def test_missing_label_column_fails_naming_the_key(spark):
    docs_df = docs(spark, [("d1", "es", ["hola"])])
    labels_df = spark.createDataFrame([("d1", True)], "doc_id string, other boolean")
    with pytest.raises(ConfigError, match="`labels.column` 'flag' is not a column of the labels dataset"):
        C.labelled_examples(docs_df, labels_df, cfg())


def test_unknown_label_value_is_rejected_and_column_labels_work(spark):
    docs_df = spark.createDataFrame(
        [("amazon_reviews", "r1", None, None, "2021-01", "en", ["good"], 5),
         ("amazon_reviews", "r2", None, None, "2021-01", "en", ["bad"], None)], DOCS)
    c = cfg(task="multiclass", sources=["amazon_reviews"], langs=None,
            labels={"column": "star_rating", "values": {"5": "five", "4": "four"}})
    rows = {r["doc_id"]: (r["label"], r["_outcome"]) for r in C.labelled_examples(docs_df, None, c).collect()}
    assert rows == {"r1": ("five", None), "r2": (None, "filtered:no_label")}
    c2 = cfg(task="multiclass", sources=["amazon_reviews"], langs=None, labels={"column": "star_rating", "values": {"4": "four"}})
    assert C.labelled_examples(docs_df, None, c2).where("doc_id = 'r1'").first()["_outcome"] == "rejected:unknown_label"


def test_label_map_binary_positive_last_and_multiclass_sorted():
    assert C.label_names(cfg(), ["yes", "no"]) == ["no", "yes"]
    assert C.label_names(cfg(**{"labels.positive": "no"}), ["yes", "no"]) == ["yes", "no"]
    multi = cfg(task="multiclass", labels={"column": "c"})
    assert C.label_names(multi, ["Toys", "Books", "Home"]) == ["Books", "Home", "Toys"]
    with pytest.raises(ConfigError, match="binary"):
        C.label_names(cfg(labels={"column": "c"}), ["a", "b", "c"])


# ------------------------------------------------------------------------------------------ split and rebalancing
def labelled(spark, n_a: int, n_b: int, months=("2021-01",)):
    rows = [(f"d{i}", "a" if i < n_a else "b", months[i % len(months)]) for i in range(n_a + n_b)]
    return spark.createDataFrame(rows, "doc_id string, label string, month string")


def test_random_split_is_exactly_stratified_and_reproducible(spark):
    df = labelled(spark, 60, 40)
    split = {"method": "random", "validation": 0.2, "test": 0.2, "seed": 5}
    counts = {(r["split"], r["label"]): r["count"] for r in C.with_split(df, split).groupBy("split", "label").count().collect()}
    assert counts == {("test", "a"): 12, ("validation", "a"): 12, ("train", "a"): 36,
                      ("test", "b"): 8, ("validation", "b"): 8, ("train", "b"): 24}
    again = C.with_split(df.repartition(3), split)
    assert_df_equality(C.with_split(df, split).orderBy("doc_id"), again.orderBy("doc_id"))
    other_seed = C.with_split(df, {**split, "seed": 6}).where("split = 'test'").select("doc_id").collect()
    assert set(other_seed) != set(C.with_split(df, split).where("split = 'test'").select("doc_id").collect())


def test_time_split_newest_months_are_test(spark):
    df = labelled(spark, 6, 6, months=("2021-01", "2021-02", "2021-03", "2021-04"))
    split = {"method": "time", "test_months": 1, "validation_months": 1, "validation": 0.0, "test": 0.0, "seed": 1}
    got = {r["month"]: r["split"] for r in C.with_split(df, split).select("month", "split").distinct().collect()}
    assert got == {"2021-01": "train", "2021-02": "train", "2021-03": "validation", "2021-04": "test"}


@pytest.mark.parametrize("method", ["undersample", "oversample"])
def test_rebalancing_hits_the_configured_ratio(spark, method):
    df = labelled(spark, 170, 30)  # b is the minority: 15 %
    out = C.rebalance(df, {"method": method, "target_ratio": 0.3}, {"a": 170, "b": 30}, seed=3)
    counts = C.class_counts(out)
    share = counts["b"] / sum(counts.values())
    if method == "undersample":
        assert counts == {"a": 70, "b": 30} and share == pytest.approx(0.3)
    else:
        assert counts == {"a": 170, "b": 73} and share == pytest.approx(0.3, abs=0.002)


def test_class_weights_balance_the_classes(spark):
    df = labelled(spark, 75, 25)
    out = C.rebalance(df, {"method": "class_weights", "target_ratio": 0.3}, {"a": 75, "b": 25})
    weights = {r["label"]: r["weight"] for r in out.select("label", "weight").distinct().collect()}
    assert weights == pytest.approx({"a": 100 / (2 * 75), "b": 100 / (2 * 25)})


def test_top_k_order_and_ties(spark):
    df = spark.createDataFrame([([0.4, 0.4, 0.2],), ([0.1, 0.3, 0.6],)], "_probs array<double>")
    ranked = df.select(C._ranked(F.col("_probs")).alias("r")).collect()
    assert [[s["idx"] for s in r["r"]] for r in ranked] == [[0, 1, 2], [2, 1, 0]]


# ------------------------------------------------------------------------------------------ models
VOCAB_A = ["entrega", "tarde", "nunca", "llegó", "paquete", "roto"]
VOCAB_B = ["gracias", "rápido", "perfecto", "genial", "encanta", "bien"]
NOISE = ["hola", "tienda", "pedido", "hoy", "ayer", "cliente", "mercanova", "app"]


def planted(spark, n=240, seed=1):
    """Documents whose label is planted in their words (with 5 % label noise)."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        label = "yes" if i % 3 == 0 else "no"
        words = VOCAB_A if label == "yes" else VOCAB_B
        toks = [rnd.choice(words) for _ in range(2)] + [rnd.choice(NOISE) for _ in range(4)]
        if rnd.random() < 0.05:
            label = "no" if label == "yes" else "yes"
        rows.append((f"d{i:04d}", label, toks, "2021-01", "es"))
    df = spark.createDataFrame(rows, "doc_id string, label string, tokens array<string>, month string, lang string")
    return C.with_label_index(df, ["no", "yes"])


@pytest.fixture(scope="module")
def data(spark):
    df = C.with_split(planted(spark), {"method": "random", "validation": 0.0, "test": 0.25, "seed": 1}).cache()
    return df.where("split = 'train'"), df.where("split = 'test'")


def accuracy(scored) -> float:
    row = scored.agg(F.avg((F.col("pred_idx") == F.col("label_idx")).cast("double")).alias("a")).first()
    return row["a"]


@pytest.mark.parametrize("features,model", [("word2vec", "logistic_regression"), ("both", "one_vs_rest"),
                                            ("tfidf", "linear_svc")])  # tfidf + logistic regression: below
def test_learns_planted_signal(spark, data, features, model):
    train, test = data
    c = cfg(**{"features.kind": features, "model.kind": model, "features.tfidf.ngram": 1, "features.word2vec.vector_size": 16,
               "features.word2vec.min_count": 1, "features.word2vec.max_iter": 5})
    fitted, _ = C.fit(train, None, c, 2)
    acc = accuracy(C.score(fitted, test, ["no", "yes"], 2))
    assert acc > 0.8  # 5 % label noise: the best possible is about 0.95; the majority class (no) is about 0.67


def test_tuning_picks_a_grid_point(spark, data):
    train, test = data
    c = cfg(**{"tuning.method": "train_validation_split", "tuning.grid": {"model.reg_param": [0.01, 100.0]},
               "split.validation": 0.2})
    _, info = C.fit(train.limit(120), test, c, 2)
    assert [g["params"] for g in info["grid"]] == [{"model.reg_param": 0.01}, {"model.reg_param": 100.0}]
    assert info["chosen"] in [g["params"] for g in info["grid"]]


def test_save_load_round_trip_identical_predictions(spark, data, tmp_path):
    train, test = data
    c = cfg(**{"features.kind": "both", "features.word2vec.vector_size": 8, "features.word2vec.min_count": 1})
    model, _ = C.fit(train, None, c, 2)
    model.write().overwrite().save(str(tmp_path / "m"))
    loaded = PipelineModel.load(str(tmp_path / "m"))
    cols = ["doc_id", "prediction", "probability", "top_k"]
    before = C.score(model, test, ["no", "yes"], 2).select(*cols).orderBy("doc_id")
    after = C.score(loaded, test, ["no", "yes"], 2).select(*cols).orderBy("doc_id")
    assert_df_equality(before, after)
    assert set(C.vocabulary(loaded)) >= set(VOCAB_A + VOCAB_B)


def test_inference_writes_null_with_reason_for_unscorable_documents(spark, data):
    train, test = data
    model, _ = C.fit(train, None, cfg(**{"features.tfidf.ngram": 1}), 2)
    assert accuracy(C.score(model, test, ["no", "yes"], 2)) > 0.8  # tfidf + logistic regression learns the signal
    docs_df = docs(spark, [("ok", "es", ["entrega", "tarde", "nunca"]), ("empty", "es", []),
                           ("null", "es", None), ("english", "en", ["entrega"]), ("unknown", "es", ["zzz", "qqq"])])
    out = infer.predictions(C.self_contained(model, ["no", "yes"], 2, "t", "v1"), docs_df)
    got = {r["doc_id"]: (r["prediction"], r["reason"], r["top_k"] is None) for r in out.collect()}
    assert got == {"ok": ("yes", None, False), "empty": (None, "no_tokens", True), "null": (None, "no_tokens", True),
                   "english": (None, "lang_out_of_scope", True), "unknown": (None, "no_known_tokens", True)}
    assert out.columns == [f.name for f in __import__("vocspark.schemas", fromlist=["x"]).PREDICTIONS_CLASSIFIER.fields]


def test_grid_reaches_the_inner_classifier_of_one_vs_rest():
    c = cfg(task="multiclass", labels={"column": "c"}, **{"model.kind": "one_vs_rest"})
    pipeline, handles = C.build_pipeline(c, 3, weighted=False)
    maps, points = C.param_grid({"model.reg_param": [0.1, 1.0], "tfidf.ngram": [1, 2]}, handles)
    assert points == [{"model.reg_param": r, "tfidf.ngram": n} for r in (0.1, 1.0) for n in (1, 2)]
    ovr = pipeline.getStages()[-1]
    # one OneVsRest per grid point, carried by the Pipeline's stages (a map on the inner classifier is lost in
    # OneVsRest.copy); the other stages are the pipeline's own, so their params in the same map still apply
    point_stages = [pm[pipeline.getParam("stages")] for pm in maps]
    inner = [stages[-1].getClassifier().getRegParam() for stages in point_stages]
    assert inner == [0.1, 0.1, 1.0, 1.0] and ovr.getClassifier().getRegParam() == 0.01  # the original untouched
    assert all(stages[:-1] == pipeline.getStages()[:-1] for stages in point_stages)
    with pytest.raises(ConfigError, match="`tuning.grid` names `word2vec.window`"):
        C.param_grid({"word2vec.window": [2]}, handles)
