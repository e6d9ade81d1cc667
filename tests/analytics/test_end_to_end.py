"""The review-analytics jobs end to end on a small hand-made documents_clean (sample has its own job test):
manifests reconcile, rejected rows, graph without predictions (says why), the report, other jobs leave the
analytics tables alone, and fail-fast input and config errors (reruns: test_sample, test_tables)."""
from __future__ import annotations

import argparse
import json

import pytest

from vocspark import config, io
from vocspark.jobs import analytics, drift, graph_export, report
from vocspark.models.registry import ModelRegistry

pytestmark = pytest.mark.integration


def corpus(doc):
    rows = []
    words = {"Books": ["plot", "pages", "ending"], "Toys": ["wheels", "battery", "plastic"]}
    for i in range(12):
        category = "Books" if i % 3 else "Toys"
        day = "2021-12-1%d" % (i % 9) if i < 6 else "2022-01-0%d" % (1 + i % 9)
        tokens = words[category] + (["great"] if i % 2 else ["broke"])
        rows.append(doc(f"r{i}", day, user_id=f"u{i % 4}", product_id=f"P{i % 5}", product_category=category,
                        star_rating=1 + i % 5, helpful_votes=i % 3, total_votes=2, text=" ".join(tokens) + "!",
                        tokens=tokens))
    rows.append(doc("bad", "2021-12-20", product_category=None))  # rejected: missing_category
    rows.append(doc("t1", "2021-12-20", source="tweets", lang="es", product_id=None, product_category=None,
                    star_rating=None))  # not a review: only in the volume per source
    return rows


def ns(**kw):
    return argparse.Namespace(**kw)


def test_review_analytics_jobs_end_to_end(spark, tmp_base, tmp_path, docs_df, doc):
    docs_df(corpus(doc)).write.partitionBy("source", "month").parquet(str(tmp_base / "documents_clean"))
    cfg = config.load(config.PROJECT_ROOT / "conf" / "local.yaml", {"base_uri": str(tmp_base)})

    m_tables = analytics.run(spark, cfg, ns(from_sample=False, run_id="a1"))
    assert (m_tables.read, m_tables.written, m_tables.rejected) == (14, 13, {"missing_category": 1})
    assert m_tables.extra["tables"]["category_summary"] == 2 and m_tables.extra["tables"]["volume_by_source"] == 3
    rejected = spark.read.parquet(str(tmp_base / "rejected" / "job=analytics")).collect()
    assert [json.loads(r["raw"])["doc_id"] for r in rejected] == ["bad"]
    csv_dir = tmp_base / "analytics" / "csv"
    first_csv = {p.name: sorted(p.read_text().splitlines()) for p in csv_dir.glob("*.csv")}
    assert "overall,,4,8,0.5" in first_csv["positive_negative.csv"]  # stars cycle 1..5 over 12 reviews

    m_drift = drift.run(spark, cfg, ns(period="year", top_k=3, from_sample=False, run_id="d1"))
    assert m_drift.extra["tables"]["drift_overlap_period"] == 2  # Books and Toys, 2021 -> 2022
    m_graph = graph_export.run(spark, cfg, ns(model=None, run_id="g1"))
    assert m_graph.extra["predicted"].startswith("no PREDICTED edges: predictions of model `product_category`")
    assert "PREDICTED" not in m_graph.extra["edges"] and m_graph.extra["mismatch_ranking"]["products"] == 0
    assert m_graph.extra["mismatch_ranking"]["reason"].startswith("empty: no predictions")
    model_dir = tmp_base / "models" / "instagram" / "v1"  # a topic model's metadata: its cluster sizes are plotted
    model_dir.mkdir(parents=True)
    (model_dir / "metadata.json").write_text(json.dumps({"cluster_sizes": {"0": 5, "1": 9}}))
    (tmp_base / "models" / "instagram" / "LATEST").write_text("v1\n")  # written before the registry: legacy
    (tmp_base / "models" / "no_latest").mkdir()
    registry = ModelRegistry.of(spark, cfg)  # a model with aliases: the report shows its champion, not the candidate
    for version, sizes in (("c1", {"0": 3, "1": 4}), ("c2", {"0": 1})):
        registry.begin_version("tweets_topics", version)
        registry.register("tweets_topics", version, {"cluster_sizes": sizes})
    registry.promote("tweets_topics", "c1", reason="test")
    m_report = report.run(spark, cfg, ns(title="t", run_id="p1"))
    page = (tmp_base / "analytics" / "report" / "report.html").read_text()
    assert m_report.extra["images"] >= 8 and page.count("<img ") == m_report.extra["images"]
    assert m_report.extra["models"] == ["instagram/v1", "tweets_topics/c1"]
    assert "Cluster sizes of topic model instagram version v1" in page
    assert "Cluster sizes of topic model tweets_topics version c1" in page and "version c2" not in page
    assert "Language drift" in page and "Products predicted into another category" in page

    for job, run_id in (("analytics", "a1"), ("drift", "d1"), ("graph_export", "g1"), ("report", "p1")):
        assert json.loads((tmp_base / "manifests" / job / f"{run_id}.json").read_text())["reconciled"] is True

    assert {name: sorted((csv_dir / name).read_text().splitlines()) for name in first_csv} == first_csv  # untouched

    empty = tmp_path / "empty_base"
    empty.mkdir()
    cfg_empty = config.load(config.PROJECT_ROOT / "conf" / "local.yaml", {"base_uri": str(empty)})
    with pytest.raises(io.MissingInputError, match="documents_clean"):
        analytics.run(spark, cfg_empty, ns(from_sample=False, run_id="x"))
    cfg_bad = config.load(config.PROJECT_ROOT / "conf" / "local.yaml",
                          {"base_uri": str(tmp_base), "analytics.source": "nope"})
    with pytest.raises(config.ConfigError, match="analytics.source"):
        drift.run(spark, cfg_bad, ns(period=None, top_k=None, from_sample=False, run_id="x"))
    with pytest.raises(config.ConfigError, match="analytics.drift.period"):
        config.load(config.PROJECT_ROOT / "conf" / "local.yaml", {"analytics.drift.period": "week"})
