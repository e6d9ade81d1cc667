"""Promotion gates: pure rules over a comparison report or a mapping."""
from __future__ import annotations

import pytest

from vocspark.models import promotion as P
from vocspark.models.topic_mapping import parse_mapping


def _rule(**kw):
    return P.classifier_rule(kw, binary=True, model="needs_support", version="v2")


def _comparison(delta=0.0, p=0.5, b=10, c=10, n=500):
    return {"deltas": {"roc_auc": delta, "macro_f1": delta}, "mcnemar": {"p_value": p, "b": b, "c": c},
            "challenger_metrics": {"n": n}, "champion_metrics": {"n": n}, "holdout": {"documents": n}}


def test_rule_defaults_and_primary_metric_by_task():
    assert _rule()["metric"] == "roc_auc" and _rule()["max_drop"] == pytest.approx(0.005)
    assert P.classifier_rule(None, binary=False, model="m", version="v")["metric"] == "macro_f1"
    with pytest.raises(P.GateError, match="m v: unknown promotion rule key `promotion.margin`"):
        P.classifier_rule({"margin": 0.1}, True, "m", "v")
    with pytest.raises(P.GateError, match="`promotion.metric` 'f2'"):
        P.classifier_rule({"metric": "f2"}, True, "m", "v")


@pytest.mark.parametrize(
    "comparison, passed",
    [
        (_comparison(delta=0.01), True),
        (_comparison(delta=-0.004), True),  # within the margin
        (_comparison(delta=-0.006), False),  # beyond the margin
        (_comparison(delta=0.0, p=0.01, b=40, c=10), False),  # McNemar: significantly worse
        (_comparison(delta=0.0, p=0.01, b=10, c=40), True),  # McNemar: significantly better
        (_comparison(delta=0.02, n=50), False),  # holdout too small
    ],
)
def test_classifier_gate(comparison, passed):
    result = P.classifier_gate("needs_support", "v2", comparison, _rule())
    assert result.passed is passed
    assert result.reasons and result.model == "needs_support" and result.version == "v2"
    assert ("passes" if passed else "fails") in result.summary()


def test_a_missing_gate_metric_fails_naming_model_version_and_rule():
    comparison = _comparison()
    comparison["deltas"] = {"macro_f1": 0.1}
    with pytest.raises(P.GateError, match=r"needs_support v2: gate metric `roc_auc` missing .*roc_auc not below"):
        P.classifier_gate("needs_support", "v2", comparison, _rule())
    no_mcnemar = _comparison()
    del no_mcnemar["mcnemar"]
    with pytest.raises(P.GateError, match="McNemar result missing"):
        P.classifier_gate("needs_support", "v2", no_mcnemar, _rule())


def test_first_version_needs_test_metrics():
    rule = _rule()
    ok = P.first_classifier_gate("m", "v1", {"roc_auc": 0.9, "test_documents": 300}, rule)
    assert ok.passed
    small = P.first_classifier_gate("m", "v1", {"roc_auc": 0.9, "test_documents": 20}, rule)
    assert not small.passed and "only 20 test documents" in small.reasons[0]
    with pytest.raises(P.GateError, match="m v1: gate metric `roc_auc` missing"):
        P.first_classifier_gate("m", "v1", None, rule)


def _mapping(clusters, version="v1"):
    return parse_mapping({
        "model": "instagram", "model_version": version,
        "labels": {"atraso": {"subject": "entrega", "category": "problem"}},
        "clusters": clusters,
    }, origin="conf/topics/instagram.yaml")


def test_topic_gate_needs_every_cluster_decided():
    assert P.topic_gate("instagram", "v1", 2, _mapping({0: "atraso", 1: "atraso"})).passed
    pending = P.topic_gate("instagram", "v1", 3, _mapping({0: "atraso", 1: None}))
    assert not pending.passed
    assert any("1 of 3 clusters missing" in r for r in pending.reasons)
    assert any("not labelled yet" in r for r in pending.reasons)


def test_topic_gate_refuses_another_version_or_no_mapping():
    other = P.topic_gate("instagram", "v2", 2, _mapping({0: "atraso", 1: "atraso"}))
    assert not other.passed and "not instagram v2" in other.reasons[0]
    missing = P.topic_gate("instagram", "v2", 2, None, problem="conf/topics/instagram.yaml not found")
    assert not missing.passed and missing.reasons == ["conf/topics/instagram.yaml not found"]


def test_a_challenger_with_a_new_label_is_judged_on_the_champions_labels(spark):
    from vocspark.models.comparison import on_labels

    df = spark.createDataFrame(
        [("a", [0.1, 0.5, 0.4]), ("b", [0.7, 0.2, 0.1]), ("c", [0.0, 1.0, 0.0])],
        "doc_id string, _probs array<double>",
    )
    # challenger labels [x, new, y]; champion's [y, x]: "new" is dropped, the rest renormalised and reordered
    got = {r["doc_id"]: r for r in on_labels(df, ["x", "new", "y"], ["y", "x"]).collect()}
    expected = {"a": ([0.8, 0.2], 0), "b": ([0.125, 0.875], 1), "c": ([0.5, 0.5], 0)}  # c: a tie -> lower index
    for doc_id, (probs, pred) in expected.items():
        assert got[doc_id]["_probs"] == pytest.approx(probs, abs=1e-9)
        assert got[doc_id]["pred_idx"] == pred
        assert got[doc_id]["probability"] == pytest.approx(max(probs), abs=1e-9)
