"""Evaluation numbers against hand-computed cases: the report from a tiny confusion matrix (through Spark),
ROC/PR areas, calibration, the business view, McNemar (exact and chi-square) and the bootstrap's shape."""
from __future__ import annotations

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark.models import evaluation as E

SCORED = T.StructType([
    T.StructField("doc_id", T.StringType()),
    T.StructField("label_idx", T.DoubleType()),
    T.StructField("pred_idx", T.IntegerType()),
    T.StructField("_probs", T.ArrayType(T.DoubleType())),
    T.StructField("probability", T.DoubleType()),
])
ECFG = {"curve_bins": 10, "calibration_bins": 2, "minutes_per_item": 5.0}


def _rows(pairs):
    """(true, predicted) pairs -> scored rows with a 0.8 probability on the prediction."""
    out = []
    for i, (t, p) in enumerate(pairs):
        probs = [0.1, 0.1, 0.1]
        probs[p] = 0.8
        out.append((f"d{i}", float(t), p, probs, 0.8))
    return out


def test_report_matches_hand_computed_confusion_matrix(spark):
    # rows = true a, b, c; columns = predicted: a [3 1 0], b [1 2 1], c [0 0 2]
    pairs = [(0, 0)] * 3 + [(0, 1)] + [(1, 0)] + [(1, 1)] * 2 + [(1, 2)] + [(2, 2)] * 2
    df = spark.createDataFrame(_rows(pairs), SCORED)
    report = E.evaluate(df, ["a", "b", "c"], ECFG, binary=False)
    assert report["confusion_matrix"] == [[3, 1, 0], [1, 2, 1], [0, 0, 2]]
    assert report["n"] == 10 and report["accuracy"] == pytest.approx(0.7)
    by = {c["label"]: c for c in report["per_class"]}
    assert (by["a"]["precision"], by["a"]["recall"], by["a"]["f1"], by["a"]["support"]) == pytest.approx((0.75, 0.75, 0.75, 4))
    assert (by["b"]["precision"], by["b"]["recall"], by["b"]["f1"]) == pytest.approx((2 / 3, 0.5, 4 / 7))
    assert (by["c"]["precision"], by["c"]["recall"], by["c"]["f1"]) == pytest.approx((2 / 3, 1.0, 0.8))
    assert report["macro_avg"]["f1"] == pytest.approx((0.75 + 4 / 7 + 0.8) / 3)
    assert report["weighted_avg"]["f1"] == pytest.approx((0.75 * 4 + 4 / 7 * 4 + 0.8 * 2) / 10)
    base = report["majority_baseline"]  # a and b tie at 4: the first in the label map wins
    assert base["label"] == "a" and base["accuracy"] == pytest.approx(0.4)
    assert base["macro_f1"] == pytest.approx(2 * 0.4 / 1.4 / 3)
    # calibration of the top-1 confidence: every prediction says 0.8, 7 of 10 are right
    cal = report["calibration"]
    assert cal["bins"][0]["mean_predicted"] == pytest.approx(0.8) and cal["bins"][0]["observed_rate"] == pytest.approx(0.7)
    assert cal["ece"] == pytest.approx(0.1) and cal["brier"] == pytest.approx((7 * 0.04 + 3 * 0.64) / 10)
    md = E.markdown(report, "t")
    assert "| b | 0.6667 | 0.5000 | 0.5714 | 4 |" in md


def test_class_never_predicted_has_zero_precision():
    report = E.classification_report([[2, 0], [1, 0]], ["x", "y"])
    y = report["per_class"][1]
    assert (y["precision"], y["recall"], y["f1"]) == (0.0, 0.0, 0.0)


def test_binary_auc_pr_and_business_view(spark):
    rows = [("p1", 1.0, 0.9), ("p2", 1.0, 0.8), ("p3", 1.0, 0.4), ("n1", 0.0, 0.7), ("n2", 0.0, 0.3), ("n3", 0.0, 0.2)]
    df = spark.createDataFrame(
        [(d, y, int(s >= 0.5), [1 - s, s], max(s, 1 - s)) for d, y, s in rows], SCORED)
    report = E.evaluate(df, ["no", "yes"], ECFG, binary=True)
    assert report["roc_auc"] == pytest.approx(8 / 9)  # 8 of the 9 (positive, negative) pairs ordered right
    assert report["pr_auc"] == pytest.approx((1 + 1 + 0.75) / 3)  # average precision
    assert report["pr_auc_baseline"] == pytest.approx(0.5)
    biz = report["business"]  # flagged: p1, p2, n1 -> tp 2, fp 1, fn 1, tn 2
    assert biz["model"] == {"missed_items": 1, "wasted_items": 1, "minutes_missed": 5.0, "minutes_wasted": 5.0}
    assert biz["flag_rate"] == pytest.approx(0.5)
    assert biz["random_same_rate"]["missed_items"] == pytest.approx(1.5)
    assert biz["random_same_rate"]["wasted_items"] == pytest.approx(1.5)
    assert biz["minutes_saved_vs_random"] == pytest.approx(5.0)
    pngs = E.plots(report)
    assert set(pngs) == {"confusion_matrix.png", "roc.png", "pr.png"}
    assert all(v[:8] == b"\x89PNG\r\n\x1a\n" for v in pngs.values())


def test_curves_with_ties_use_the_trapezoid():
    # one bucket holding 1 positive and 1 negative: the ROC goes diagonally through it -> AUC 0.5
    assert E.curves([(5, 1, 1)])["roc_auc"] == pytest.approx(0.5)
    assert E.curves([(9, 2, 0), (1, 0, 2)])["roc_auc"] == pytest.approx(1.0)


def test_mcnemar_exact_and_chi_square():
    small = E.mcnemar(10, 2)  # b + c = 12 < 25: exact two-sided binomial
    assert small["method"] == "exact binomial"
    assert small["p_value"] == pytest.approx(2 * (1 + 12 + 66) / 4096)
    large = E.mcnemar(30, 12)  # (|30 - 12| - 1)^2 / 42 = 6.881, chi-square 1 d.o.f.
    assert large["statistic"] == pytest.approx(289 / 42)
    assert large["p_value"] == pytest.approx(0.00871191, abs=1e-7)  # scipy.stats.chi2.sf(289 / 42, 1)
    assert E.mcnemar(0, 0)["p_value"] == 1.0
    assert E.mcnemar(5, 5)["p_value"] == pytest.approx(1.0)


def test_poisson_weights_have_mean_one(spark):
    df = spark.range(20000).select(F.rand(3).alias("u")).select(E.poisson1(F.col("u")).alias("w"))
    row = df.agg(F.mean("w").alias("m"), F.variance("w").alias("v")).first()
    assert row["m"] == pytest.approx(1.0, abs=0.03) and row["v"] == pytest.approx(1.0, abs=0.06)


def test_bootstrap_interval_of_identical_models_is_zero(spark):
    rows = [(f"d{i}", float(i % 2), (i % 2) if i % 5 else 1 - i % 2, 0.9 if i % 2 else 0.1) for i in range(60)]
    df = spark.createDataFrame(rows, "doc_id string, label_idx double, pred_a int, score_a double").withColumns(
        {"pred_b": F.col("pred_a"), "score_b": F.col("score_a")})
    boot = E.bootstrap_paired(df, 2, 30, 1, binary=True)
    assert boot["macro_f1"]["b_minus_a"] == {"low": 0.0, "high": 0.0, "mean": 0.0}
    assert 0.6 < boot["macro_f1"]["a"]["mean"] < 0.95
    assert boot["roc_auc"]["a"]["low"] <= boot["roc_auc"]["a"]["high"]


def test_traffic_split_is_stable_and_near_the_share(spark):
    from vocspark.models.comparison import traffic_split

    df = spark.range(2000).select(
        F.concat(F.lit("d"), F.col("id").cast("string")).alias("doc_id"), F.lit(1.0).alias("label_idx"),
        F.lit(1).alias("pred_a"), F.lit(0).alias("pred_b"), F.array(F.lit(0.2), F.lit(0.8)).alias("probs_a"),
        F.array(F.lit(0.6), F.lit(0.4)).alias("probs_b"), F.lit(0.8).alias("prob_a"), F.lit(0.6).alias("prob_b"))
    routed = traffic_split(df, 0.3, "salt")
    share = routed.where("variant = 'challenger'").count() / 2000
    assert abs(share - 0.3) < 0.03
    again = {r["doc_id"]: r["variant"] for r in traffic_split(df.repartition(3), 0.3, "salt").collect()}
    first = {r["doc_id"]: (r["variant"], r["pred_idx"]) for r in routed.collect()}
    assert {k: v[0] for k, v in first.items()} == again
    assert all(p == (0 if v == "challenger" else 1) for v, p in first.values())  # each variant's own model


def test_recommendation_rules():
    from vocspark.models.comparison import recommend

    neutral = E.mcnemar(10, 12)
    assert recommend("macro_f1", {"low": 0.01, "high": 0.05}, neutral, 0.05) == "promote challenger"
    assert recommend("macro_f1", {"low": -0.05, "high": -0.01}, neutral, 0.05) == "keep champion"
    assert recommend("macro_f1", {"low": -0.01, "high": 0.02}, neutral, 0.05) == "no significant difference: keep champion"
    worse = E.mcnemar(40, 10)  # the champion is right where the challenger is wrong far more often
    assert recommend("roc_auc", {"low": 0.001, "high": 0.01}, worse, 0.05) == "keep champion"
