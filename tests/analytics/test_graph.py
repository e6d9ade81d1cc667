"""graph_export: vertices and edges of a hand-made review set, PREDICTED edges from hand-made predictions, the
mismatch ranking, Neptune CSV headers and id uniqueness, and the job's manifest."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json

import pytest

from vocspark import config, schemas
from vocspark.analytics import graph as gr
from vocspark.jobs import graph_export as job

UTC = dt.timezone.utc


def reviews(doc):
    return [
        doc("r1", "2021-01-01", user_id="u1", product_id="P1", product_category="Books"),
        doc("r2", "2021-01-02", user_id="u1", product_id="P1", product_category="Books", verified_purchase=False),
        doc("r3", "2021-01-03", user_id="u2", product_id="P2", product_category="Kitchen"),
        doc("r4", "2021-01-04", user_id="u2", product_id="P1", product_category="Books"),
        doc("r5", "2021-01-05", user_id=None, product_id="P1", product_category="Books"),  # rejected: missing_user
        doc("r6", "2021-01-06", user_id="u3", product_id="P2", product_category="Kitchen"),
    ]


def predictions(spark):
    at = dt.datetime(2021, 2, 1, tzinfo=UTC)
    rows = [  # (doc_id, prediction, probability, reason, version)
        ("r1", "Books", 0.9, None, "v1"), ("r2", "Books", 0.7, None, "v0"), ("r2", "Toys", 0.8, None, "v1"),
        ("r3", "Toys", 0.6, None, "v1"), ("r4", None, None, "no_tokens", "v1"), ("r6", "Kitchen ", 0.99, None, "v1"),
    ]
    return spark.createDataFrame(
        [("amazon_reviews", d, "u", at, p, pr, None, reason, "product_category", v, "2021-01")
         for d, p, pr, reason, v in rows], schemas.PREDICTIONS_CLASSIFIER)


def test_mismatch_ranking_by_share_then_confidence(spark, docs_df, doc):
    valid = docs_df(reviews(doc)).where("user_id is not null")
    ranking = gr.mismatch_ranking(valid, gr.latest_predictions(predictions(spark))).orderBy("rank").collect()
    # P1: r1 Books (match), r2 Toys (v1 wins over v0; mismatch 0.8), r4 not predicted -> 1 of 2, 0.8
    # P2: r3 Toys (mismatch 0.6), r6 "Kitchen " (trimmed: match) -> 1 of 2, 0.6: same share, lower confidence
    assert [(r["rank"], r["product_id"], r["assigned_category"], r["top_predicted_category"], r["n_predicted"],
             r["n_mismatch"], r["mismatch_share"], r["mean_confidence"]) for r in ranking] == [
        (1, "P1", "Books", "Toys", 2, 1, 0.5, pytest.approx(0.8)),
        (2, "P2", "Kitchen", "Toys", 2, 1, 0.5, pytest.approx(0.6)),
    ]


def read_csvs(folder):
    rows, headers = [], set()
    for path in sorted(folder.glob("part-*.csv")):
        with path.open(newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                continue
            headers.add(tuple(header))
            rows += [dict(zip(header, r)) for r in reader]
    return headers, rows


@pytest.mark.integration  # a whole job run end to end: integration tier (make test), not make test-fast
def test_graph_job_parquet_neptune_and_manifest(spark, tmp_base, docs_df, doc):
    docs_df(reviews(doc)).write.partitionBy("source", "month").parquet(str(tmp_base / "documents_clean"))
    predictions(spark).write.partitionBy("month").parquet(str(tmp_base / "predictions" / "product_category"))
    cfg = config.load(config.PROJECT_ROOT / "conf" / "local.yaml", {"base_uri": str(tmp_base)})
    manifest = job.run(spark, cfg, argparse.Namespace(model=None, run_id="g1"))

    assert (manifest.read, manifest.written, manifest.rejected) == (6, 5, {"missing_user": 1})
    assert manifest.extra["vertices"] == {"customer": 3, "product": 2, "review": 5, "product_category": 3}
    assert manifest.extra["edges"] == {"WROTE": 5, "REVIEWED": 5, "BOUGHT": 4, "ASSIGNED": 2, "PREDICTED": 4}
    assert manifest.extra["duplicate_ids"] == 0 and manifest.extra["mismatch_ranking"]["products"] == 2

    graph = tmp_base / "analytics" / "graph"
    edges = {r["id"]: r for r in spark.read.parquet(str(graph / "edges")).collect()}
    assert (edges["bought:u1|P1"]["src"], edges["bought:u1|P1"]["dst"], edges["bought:u1|P1"]["reviews"]) == (
        "customer:u1", "product:P1", 2)
    assert (edges["reviewed:r3"]["src"], edges["reviewed:r3"]["dst"]) == ("review:r3", "product:P2")
    assert (edges["predicted:r2"]["dst"], edges["predicted:r2"]["confidence"], edges["predicted:r2"]["model_version"]) == (
        "category:Toys", 0.8, "v1")
    assert edges["predicted:r6"]["dst"] == "category:Kitchen"
    assert "predicted:r4" not in edges
    vertex_ids = {r["id"] for r in spark.read.parquet(str(graph / "vertices")).collect()}
    assert {e["src"] for e in edges.values()} | {e["dst"] for e in edges.values()} <= vertex_ids  # no dangling edge

    neptune = graph / "neptune"
    expected_headers = {
        "vertices/review": ("~id", "~label", "docId:String", "starRating:Int", "helpfulVotes:Int", "totalVotes:Int",
                            "verifiedPurchase:Bool", "createdAt:Date", "month:String"),
        "vertices/customer": ("~id", "~label", "userId:String", "reviews:Long"),
        "vertices/product_category": ("~id", "~label", "name:String", "reviews:Long"),
        "edges/PREDICTED": ("~id", "~from", "~to", "~label", "confidence:Double", "modelVersion:String"),
        "edges/WROTE": ("~id", "~from", "~to", "~label", "createdAt:Date"),
    }
    for folder, header in expected_headers.items():
        assert read_csvs(neptune / folder)[0] == {header}, folder
    all_ids = []
    for folder in sorted(p for p in neptune.glob("*/*") if p.is_dir()):
        all_ids += [r["~id"] for r in read_csvs(folder)[1]]
    assert len(all_ids) == 3 + 2 + 5 + 3 + 5 + 5 + 4 + 2 + 4 and len(set(all_ids)) == len(all_ids)
    _, review_rows = read_csvs(neptune / "vertices" / "review")
    r1 = next(r for r in review_rows if r["~id"] == "review:r1")
    assert (r1["~label"], r1["createdAt:Date"], r1["starRating:Int"]) == ("review", "2021-01-01T00:00:00Z", "5")
    _, predicted_rows = read_csvs(neptune / "edges" / "PREDICTED")
    assert {(r["~from"], r["~to"], r["~label"]) for r in predicted_rows} >= {("review:r3", "category:Toys", "PREDICTED")}
    body = json.loads((tmp_base / "manifests" / "graph_export" / "g1.json").read_text())
    assert body["reconciled"] is True
    ranking = (tmp_base / "analytics" / "csv" / "graph_mismatch_ranking.csv").read_text().splitlines()
    assert ranking[0].startswith("product_id,product_title,assigned_category,top_predicted_category") and len(ranking) == 3
