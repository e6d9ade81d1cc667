"""generate -> ingest -> preprocess -> train_classifier (two versions) -> infer_classifier (and rerun) ->
evaluate -> compare_models on a small generated dataset: the planted needs-support signal is learned well above
the majority baseline, model files, metadata and label map, report files, predictions per month with nulls and
reasons, manifests that reconcile, idempotent reruns, and fail-fast on a missing model or config key."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

from vocspark import config
from vocspark.config import ConfigError
from vocspark.jobs import compare_models, evaluate, infer_classifier
from vocspark.jobs import promote, train_classifier
from vocspark.models.registry import ModelRegistry, RegistryError, VersionExistsError

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
FAST = ["features.kind=tfidf", "features.tfidf.ngram=1", "tuning.method=none", "model.max_iter=20",
        "evaluation.bootstrap=50"]


@pytest.fixture(scope="module")
def base(demo_base):
    """The shared generated demo base (tests/conftest.py: 1,000 tweets over 3 months), this module's copy."""
    return demo_base


def cfg_for(base: Path) -> config.Config:
    return config.load(ROOT / "conf" / "local.yaml", {"base_uri": str(base)})


def ns(**kw) -> argparse.Namespace:
    defaults = dict(classifier_config=None, months=None, until=None, train_months=None, cset=[], run_id=None,
                    last_days=None, as_of=None, top_k=None, dataset="test", labels=None, challenger_share=None)
    return argparse.Namespace(**{**defaults, **kw})


def manifest(base: Path, job: str, run_id: str) -> dict:
    return json.loads((base / "manifests" / job / f"{run_id}.json").read_text())


def test_train_infer_evaluate_compare(spark, base):
    cfg = cfg_for(base)
    meta = train_classifier.run(spark, cfg, ns(model="needs_support", version="v1", cset=FAST, run_id="t1"))
    model_dir = base / "models" / "needs_support" / "v1"
    registry = ModelRegistry.of(spark, cfg)
    assert (model_dir / "stages").is_dir() and not (base / "models" / "needs_support" / "LATEST").exists()
    # the first trained version is the candidate and, having nothing to compare against, the champion
    assert registry.aliases("needs_support") == {"candidate": "v1", "champion": "v1"}
    assert registry.history("needs_support")[-1]["reason"] == train_classifier.FIRST_CHAMPION
    saved = json.loads((model_dir / "metadata.json").read_text())
    assert saved["label_map"] == {"0": "no_support", "1": "needs_support"} and saved["positive_label"] == "needs_support"
    m = saved["metrics"]
    assert m["roc_auc"] >= 0.9 and m["accuracy"] > m["majority_baseline"]["accuracy"] + 0.2
    assert {"report.json", "report.md", "confusion_matrix.png", "roc.png", "pr.png"} <= {
        p.name for p in (model_dir / "report").iterdir()}
    report = json.loads((model_dir / "report" / "report.json").read_text())
    assert report["business"]["model"]["minutes_missed"] < report["business"]["random_same_rate"]["minutes_missed"]
    splits = saved["training"]["documents_by_split_and_label"]
    train_share = splits["train"]["needs_support"] / sum(splits["train"].values())
    test_share = splits["test"]["needs_support"] / sum(splits["test"].values())
    assert abs(train_share - test_share) < 0.02  # stratified
    tm = manifest(base, "train_classifier", "t1")
    assert tm["reconciled"] and tm["counts"]["written"] == sum(sum(v.values()) for v in splits.values())

    # inference: every tweet written, Portuguese and unscorable ones null with a reason; a rerun is identical
    infer_classifier.run(spark, cfg, ns(model="needs_support", version=None, run_id="i1"))
    out_dir = base / "predictions" / "needs_support"
    first = pd.read_parquet(out_dir).sort_values("doc_id").reset_index(drop=True)
    assert sorted(p.name for p in out_dir.iterdir() if p.is_dir()) == ["month=2021-01", "month=2021-02", "month=2021-03"]
    docs = spark.read.parquet(str(base / "documents_clean")).where("source = 'tweets'").count()
    assert len(first) == docs and first["doc_id"].is_unique
    scored = first[first["reason"].isna()]
    assert scored["prediction"].isin(["needs_support", "no_support"]).all() and (scored["model_version"] == "v1").all()
    assert scored["probability"].between(0.5, 1.0).all()
    assert all(len(t) == 2 and t[0]["probability"] >= t[1]["probability"] for t in scored["top_k"])
    assert first[first["reason"].notna()]["prediction"].isna().all()
    im = manifest(base, "infer_classifier", "i1")
    assert im["reconciled"] and im["counts"]["read"] == docs
    infer_classifier.run(spark, cfg, ns(model="needs_support", version="v1", run_id="i2"))
    again = pd.read_parquet(out_dir).sort_values("doc_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(first.drop(columns="top_k"), again.drop(columns="top_k"))

    # evaluate on the same test split: the numbers of the training report
    rep = evaluate.run(spark, cfg, ns(model="needs_support", version="v1", run_id="e1"))
    assert rep["n"] == report["n"] and rep["confusion_matrix"] == report["confusion_matrix"]
    assert manifest(base, "evaluate", "e1")["reconciled"]

    # a weaker challenger: the candidate, not the champion; compared on the same holdout (default versions: the
    # champion and the candidate aliases)
    train_classifier.run(spark, cfg, ns(model="needs_support", version="v2", run_id="t2",
                                        cset=FAST + ["model.max_iter=1", "model.reg_param=10.0"]))
    assert registry.aliases("needs_support") == {"candidate": "v2", "champion": "v1"}
    assert (base / "manifests" / "train_classifier" / "t2.json").exists()
    with pytest.raises(VersionExistsError):  # versions are immutable
        train_classifier.run(spark, cfg, ns(model="needs_support", version="v2", cset=FAST))
    result = compare_models.run(spark, cfg, ns(model="needs_support", run_id="c1"))
    assert (result["champion"], result["challenger"]) == ("v1", "v2")
    assert result["holdout"]["documents"] == report["n"]
    assert result["mcnemar"]["p_value"] <= 1 and result["recommendation"] in (
        "keep champion", "no significant difference: keep champion")
    variants = result["traffic_split"]["variants"]
    assert variants["champion"]["n"] + variants["challenger"]["n"] == report["n"]
    assert (base / "reports" / "compare_models" / "needs_support" / "c1" / "comparison.md").exists()

    # promote: the candidate v2 is judged against the champion v1 on the same holdout, by the configured rule
    promote.run(spark, cfg, argparse.Namespace(classifier="needs_support", topic_model=None, run_id="p1"))
    body = manifest(base, "promote", "p1")
    (decision,) = body["extra"]["decisions"]
    delta, mc = result["deltas"]["roc_auc"], result["mcnemar"]
    expected = delta >= -0.005 and not (mc["p_value"] < 0.05 and mc["b"] > mc["c"]) and report["n"] >= 100
    assert decision["passed"] is expected and decision["evidence"]["delta"] == pytest.approx(delta, abs=1e-9)
    assert decision["holdout_counts"]["read"] == result["holdout"]["documents"] + sum(
        decision["holdout_counts"]["filtered"].values()) + sum(decision["holdout_counts"]["rejected"].values())
    assert registry.alias("needs_support", "champion") == ("v2" if expected else "v1")
    assert decision["aliases_before"]["champion"] == "v1"
    assert body["reconciled"] and body["counts"]["read"] == 1
    assert body["counts"]["written"] == int(expected)


def test_fail_fast(spark, base):
    cfg = cfg_for(base)
    with pytest.raises(RegistryError, match="model `nope` has no `champion` version"):
        infer_classifier.run(spark, cfg, ns(model="nope", version=None))
    with pytest.raises(ConfigError, match="classifier config not found"):
        train_classifier.run(spark, cfg, ns(model="nope", version="x"))
    with pytest.raises(ConfigError, match="unknown key `model.depth`"):
        train_classifier.run(spark, cfg, ns(model="needs_support", version="x", cset=["model.depth=3"]))
