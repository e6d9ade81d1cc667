"""The classifier's scoring stages (vocspark.models.classifier_stages): each survives save and load inside a
PipelineModel with its params and its output; the rules (reasons, probabilities per kind, top-k ties, null
scores where a reason is set, internal columns dropped); a trained tiny classifier saved and loaded with
PipelineModel.load alone gives the predictions contract columns; and a tuning grid over the inner classifier of
one-vs-rest reaches the fitted model."""
from __future__ import annotations

import itertools
import math
import random

import pytest
from chispa import assert_df_equality
from pyspark.ml import PipelineModel
from pyspark.ml.functions import array_to_vector
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import schemas
from vocspark.models import classifier_stages as S
from vocspark.models import classifiers as C

DOCS = T.StructType([
    T.StructField("source", T.StringType(), False),
    T.StructField("doc_id", T.StringType(), False),
    T.StructField("user_id", T.StringType(), True),
    T.StructField("created_at", T.TimestampType(), True),
    T.StructField("month", T.StringType(), False),
    T.StructField("lang", T.StringType(), True),
    T.StructField("tokens", T.ArrayType(T.StringType()), True),
    T.StructField("text", T.StringType(), True),
])
OUT = T.StructType([
    T.StructField("doc_id", T.StringType(), False),
    T.StructField("reason", T.StringType(), True),
    T.StructField("prediction", T.StringType(), True),
    T.StructField("probability", T.DoubleType(), True),
    T.StructField("top_k", T.ArrayType(T.StructType([T.StructField("label", T.StringType(), False),
                                                     T.StructField("probability", T.DoubleType(), False)]), False), True),
])


@pytest.fixture(scope="module", autouse=True)
def _small_plans(small_plans):
    """Every test here runs with the shared ``small_plans`` settings (tests/conftest.py)."""


def round_trip(model: PipelineModel, path) -> PipelineModel:
    model.write().overwrite().save(str(path))
    return PipelineModel.load(str(path))


def docs(spark, rows):
    return spark.createDataFrame([("tweets", d, "u1", None, "2021-01", lang, toks, "t") for d, lang, toks in rows], DOCS)


# ------------------------------------------------------------------------------------------ ScoringGuard
def test_scoring_guard_reasons_and_safe_tokens_survive_save_and_load(spark, tmp_path):
    guard = S.ScoringGuard(langs=["es", "pt"], vocabulary=["hola", "it's", "a\\b"], requireKnownToken=True)
    loaded = round_trip(PipelineModel([guard]), tmp_path / "g")
    g = loaded.stages[0]
    assert isinstance(g, S.ScoringGuard) and g.getLangs() == ["es", "pt"] and g.getRequireKnownToken() is True
    assert g.getVocabulary() == ["hola", "it's", "a\\b"]
    df = docs(spark, [("ok", "es", ["x", "hola"]), ("quote", "pt", ["it's"]), ("slash", "es", ["a\\b"]),
                      ("en", "en", ["hola"]), ("nolang", None, ["hola"]), ("empty", "es", []), ("null", "es", None),
                      ("unknown", "es", ["zzz"]), ("en_empty", "en", [])])
    expected = spark.createDataFrame(
        [("ok", None, ["x", "hola"], ["x", "hola"]), ("quote", None, ["it's"], ["it's"]),
         ("slash", None, ["a\\b"], ["a\\b"]), ("en", "lang_out_of_scope", ["hola"], []),
         ("nolang", "lang_out_of_scope", ["hola"], []), ("empty", "no_tokens", [], []), ("null", "no_tokens", None, []),
         ("unknown", "no_known_tokens", ["zzz"], []), ("en_empty", "lang_out_of_scope", [], [])],
        "doc_id string, reason string, tokens array<string>, _tokens array<string>")
    for model in (PipelineModel([guard]), loaded):
        got = model.transform(df).select("doc_id", "reason", "tokens", "_tokens")
        assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_scoring_guard_without_known_token_check_and_every_language(spark):
    df = docs(spark, [("unknown", "en", ["zzz"]), ("empty", "en", [])])
    got = {r["doc_id"]: r["reason"] for r in S.ScoringGuard().transform(df).collect()}
    assert got == {"unknown": None, "empty": "no_tokens"}
    strict = S.ScoringGuard(requireKnownToken=True)  # empty vocabulary: nothing is known
    assert {r["reason"] for r in strict.transform(df).collect()} == {"no_known_tokens", "no_tokens"}


# ------------------------------------------------------------------------------------------ ClassProbabilities
def model_output(spark):
    """What a Spark model leaves: rawPrediction / probability vectors, its prediction, internal columns."""
    rows = [("tie", None, [1.0, 1.0, 0.0], [0.4, 0.4, 0.2]), ("c", None, [0.0, -1.0, 2.0], [0.1, 0.3, 0.6]),
            ("skip", "no_tokens", [0.0, 0.0, 0.0], [0.2, 0.3, 0.5])]
    df = spark.createDataFrame(rows, "doc_id string, reason string, raw array<double>, prob array<double>")
    return df.select("doc_id", "reason", array_to_vector("raw").alias("rawPrediction"),
                     array_to_vector("prob").alias("probability"), F.lit(1.0).alias("prediction"),
                     F.array().cast("array<string>").alias("_tokens"), array_to_vector("raw").alias("features"))


def softmax(xs):
    ex = [math.exp(x - max(xs)) for x in xs]
    return [e / sum(ex) for e in ex]


def sigmoid_norm(xs):
    s = [1 / (1 + math.exp(-x)) for x in xs]
    return [v / sum(s) for v in s]


def expected_rows(probs_by_doc, names, k) -> dict:
    out = {}
    for doc, probs in probs_by_doc.items():
        if probs is None:
            out[doc] = ("no_tokens", None, None, None, None)
            continue
        order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))[:k]  # ties: the lower index first
        out[doc] = (None, names[order[0]], probs[order[0]], [names[i] for i in order], [probs[i] for i in order])
    return out


def by_doc(df) -> dict:
    """doc_id -> (reason, prediction, probability, top-k labels, top-k probabilities)."""
    return {r["doc_id"]: (r["reason"], r["prediction"], r["probability"],
                          None if r["top_k"] is None else [t["label"] for t in r["top_k"]],
                          None if r["top_k"] is None else [t["probability"] for t in r["top_k"]])
            for r in df.collect()}


def assert_same(got: dict, expected: dict, tol: float = 1e-9) -> None:
    assert got.keys() == expected.keys()
    for doc, (reason, pred, prob, labels, probs) in expected.items():
        g = got[doc]
        assert (g[0], g[1], g[3]) == (reason, pred, labels), doc
        assert (g[2] is None) == (prob is None) and (prob is None or g[2] == pytest.approx(prob, abs=tol)), doc
        assert (g[4] is None) == (probs is None) and (probs is None or g[4] == pytest.approx(probs, abs=tol)), doc


@pytest.mark.parametrize("kind,rule", [("lr", None), ("ovr_lr", sigmoid_norm), ("svc", softmax)])
def test_class_probabilities_per_kind_ties_nulls_and_save_load(spark, tmp_path, kind, rule):
    names = ["a", "b", "c"]
    stage = S.ClassProbabilities(kind=kind, labels=names, topK=2)
    loaded = round_trip(PipelineModel([stage]), tmp_path / kind)
    s = loaded.stages[0]
    assert isinstance(s, S.ClassProbabilities) and (s.getKind(), s.getLabels(), s.getTopK()) == (kind, names, 2)
    raw = {"tie": [1.0, 1.0, 0.0], "c": [0.0, -1.0, 2.0]}
    given = {"tie": [0.4, 0.4, 0.2], "c": [0.1, 0.3, 0.6]}
    probs = {d: (given[d] if rule is None else rule(raw[d])) for d in raw}
    expected = expected_rows({**probs, "skip": None}, names, 2)
    for model in (PipelineModel([stage]), loaded):
        out = model.transform(model_output(spark))
        assert sorted(out.columns) == ["doc_id", "prediction", "probability", "reason", "top_k"]  # internals dropped
        assert out.schema["top_k"].dataType == OUT["top_k"].dataType
        assert_same(by_doc(out), expected)


def test_class_probabilities_keep_scores_for_evaluation(spark):
    out = S.ClassProbabilities(kind="lr", labels=["a", "b", "c"], topK=1, keepScores=True).transform(model_output(spark))
    got = {r["doc_id"]: (r["pred_idx"], r["_probs"]) for r in out.collect()}
    assert got["c"][0] == 2 and got["c"][1] == pytest.approx([0.1, 0.3, 0.6], abs=1e-12)
    assert got["tie"][0] == 0 and got["skip"] == (None, None)


# ------------------------------------------------------------------------------------------ ModelStamp
def test_model_stamp_survives_save_and_load(spark, tmp_path):
    loaded = round_trip(PipelineModel([S.ModelStamp(modelName="needs_support", modelVersion="v7")]), tmp_path / "s")
    rows = loaded.transform(spark.createDataFrame([("d1",), ("d2",)], "doc_id string")).select(
        "model", "model_version").distinct().collect()
    assert [tuple(r) for r in rows] == [("needs_support", "v7")]
    with pytest.raises(ValueError, match="modelName"):
        S.ModelStamp().transform(spark.createDataFrame([("d1",)], "doc_id string"))


# ------------------------------------------------------------------------------------------ a trained classifier
VOCAB = {"billing": ["factura", "cobro", "tarjeta", "pago"], "delivery": ["entrega", "paquete", "tarde", "envío"],
         "praise": ["gracias", "genial", "perfecto", "encanta"]}
NOISE = ["hola", "tienda", "pedido", "hoy", "app"]


def planted(spark, labels, n=150, seed=3, shares=None):
    """Documents whose label is planted in their words; ``shares`` (in 20ths, per label) makes classes imbalanced."""
    rnd = random.Random(seed)
    cuts = list(itertools.accumulate(shares)) if shares else None
    rows = []
    for i in range(n):
        label = labels[i % len(labels)] if not cuts else labels[next(j for j, c in enumerate(cuts) if i % 20 < c)]
        toks = [rnd.choice(VOCAB[label]) for _ in range(2)] + [rnd.choice(NOISE) for _ in range(3)]
        rows.append((f"d{i:04d}", label, toks, "2021-01", "es"))
    df = spark.createDataFrame(rows, "doc_id string, label string, tokens array<string>, month string, lang string")
    return C.with_label_index(df, sorted(labels))


def ccfg(**over) -> dict:
    data = {"name": "t", "task": "multiclass", "sources": ["tweets"], "langs": ["es"], "labels": {"column": "label"},
            "features": {"kind": "tfidf", "tfidf": {"ngram": 1, "min_df": 1.0}}, "model": {"max_iter": 30},
            "split": {"validation": 0.2, "test": 0.2}}
    for key, value in over.items():
        node = data
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return C.check_config(data, "file:///base")


def test_loaded_classifier_alone_gives_the_contract_columns(spark, tmp_path):
    names = ["billing", "delivery"]
    fitted, _ = C.fit(planted(spark, names), None, ccfg(task="binary"), 2)
    model = C.self_contained(fitted, names, 2, "support", "v3")
    loaded = round_trip(model, tmp_path / "clf")  # no job code from here on
    assert [type(s).__name__ for s in (loaded.stages[0], loaded.stages[-2], loaded.stages[-1])] == [
        "ScoringGuard", "ClassProbabilities", "ModelStamp"]
    df = docs(spark, [("ok", "es", ["factura", "cobro", "hola"]), ("empty", "es", []), ("null", "es", None),
                      ("english", "en", ["factura"]), ("nolang", None, ["factura"]), ("unknown", "es", ["zzz", "qqq"])])
    out = loaded.transform(df)
    contract = schemas.PREDICTIONS_CLASSIFIER.fieldNames()
    assert set(contract) <= set(out.columns) and not [c for c in out.columns if c.startswith("_")]
    assert "rawPrediction" not in out.columns and "features" not in out.columns
    conformed = schemas.conform(out, schemas.PREDICTIONS_CLASSIFIER)
    got = {r["doc_id"]: r for r in conformed.collect()}
    assert {d: r["reason"] for d, r in got.items()} == {
        "ok": None, "empty": "no_tokens", "null": "no_tokens", "english": "lang_out_of_scope",
        "nolang": "lang_out_of_scope", "unknown": "no_known_tokens"}
    ok = got["ok"]
    assert ok["prediction"] == "billing" and 0.5 < ok["probability"] <= 1.0
    assert [t["label"] for t in ok["top_k"]] == ["billing", "delivery"]
    assert ok["top_k"][0]["probability"] + ok["top_k"][1]["probability"] == pytest.approx(1.0, abs=1e-9)
    assert all(r["prediction"] is None and r["probability"] is None and r["top_k"] is None
               for d, r in got.items() if d != "ok")
    assert {(r["model"], r["model_version"], r["month"]) for r in got.values()} == {("support", "v3", "2021-01")}
    same = schemas.conform(model.transform(df), schemas.PREDICTIONS_CLASSIFIER)  # before save: the same rows
    assert_same(by_doc(conformed), by_doc(same), 1e-12)


# ------------------------------------------------------------------------------------------ one-vs-rest tuning
@pytest.mark.parametrize("kind", ["one_vs_rest", "linear_svc"])
def test_one_vs_rest_grid_reaches_the_fitted_model(spark, kind):
    names = ["billing", "delivery", "praise"]
    # imbalanced (60 / 25 / 15 %): a heavily regularised model falls back to the majority class (accuracy ~0.6)
    data = C.with_split(planted(spark, names, n=120, shares=[12, 5, 3]),
                        {"method": "random", "validation": 0.3, "test": 0.0, "seed": 1})
    train, validation = data.where("split = 'train'"), data.where("split = 'validation'")
    c = ccfg(**{"model.kind": kind, "model.reg_param": 1000.0, "model.max_iter": 10,
                "tuning.method": "train_validation_split",
                "tuning.metric": "accuracy", "tuning.grid": {"model.reg_param": [1000.0, 0.0]},
                "tuning.refit_on_train_and_validation": False})
    fitted, info = C.fit(train, validation, c, 3)
    scores = [g["accuracy"] for g in info["grid"]]
    assert scores[1] > scores[0] + 0.2  # very different regParams score differently (the grid is not ignored)
    assert info["chosen"] == {"model.reg_param": 0.0}
    ovr = C.classifier_stage(fitted)
    assert type(ovr).__name__ == "OneVsRestModel" and len(ovr.models) == 3
    assert [m.getRegParam() for m in ovr.models] == [0.0, 0.0, 0.0]  # the chosen point, not the config's 1000
