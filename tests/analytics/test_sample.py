"""sample: deterministic stratified sampling (exact fractions, at least one row per month, independence from the
partitioning), the category drop rule and its boundary, and the job (tables, manifest, rejects, rerun)."""
from __future__ import annotations

import argparse
import json

import pytest

from vocspark import config
from vocspark.analytics import sample as sp
from vocspark.jobs import analytics as analytics_job
from vocspark.jobs import sample as job


def sampled_ids(df, fraction, seed=7):
    plan = sp.plan_sample(df, fraction, seed)
    return {r["doc_id"] for r in df.where(sp.is_sampled(plan, seed)).select("doc_id").collect()}, plan


@pytest.fixture(scope="module")
def months_df(docs_df, doc):
    """1000 reviews in 2021-01, 3 in 2021-02."""
    rows = [doc(f"a{i}", "2021-01-15") for i in range(1000)] + [doc(f"b{i}", "2021-02-15") for i in range(3)]
    return docs_df(rows).coalesce(1).cache()


def test_exact_fraction_per_month_and_at_least_one_row(months_df):
    ids, plan = sampled_ids(months_df, 0.1)
    assert len({i for i in ids if i.startswith("a")}) == 100  # round(0.1 * 1000)
    assert len({i for i in ids if i.startswith("b")}) == 1  # round(0.3) = 0 -> at least one
    assert {m: (v["rows"], v["target"]) for m, v in plan.months.items()} == {"2021-01": (1000, 100), "2021-02": (3, 1)}
    # only the candidates below the threshold are ranked: 100 + 4 * 10 + 10 of 1000 rows
    assert plan.months["2021-01"]["threshold"] == pytest.approx(0.15) and plan.months["2021-02"]["threshold"] == 1.0
    zero, _ = sampled_ids(months_df, 0.0)  # fraction 0: one row per month
    assert sorted(i[0] for i in zero) == ["a", "b"]
    everything, _ = sampled_ids(months_df, 1.0)
    assert len(everything) == 1003


def test_the_sample_is_the_smallest_hash_numbers(spark, months_df):
    ids, _ = sampled_ids(months_df, 0.02)
    jan = months_df.where("month = '2021-01'").select("doc_id", sp.uniform(7).alias("u")).orderBy("u", "doc_id")
    assert {r["doc_id"] for r in jan.limit(20).collect()} == {i for i in ids if i.startswith("a")}


def test_deterministic_across_runs_and_partitionings(months_df):
    first, _ = sampled_ids(months_df, 0.05)
    again, _ = sampled_ids(months_df.repartition(3), 0.05)
    other_seed, _ = sampled_ids(months_df, 0.05, seed=8)
    assert first == again
    assert other_seed != first


def test_category_drop_rule_is_strictly_below_the_share(docs_df, doc):
    rows = [doc(f"k{i}", "2021-01-01") for i in range(98)]
    rows += [doc("t", "2021-01-01", product_category="Toys"), doc("g", "2021-01-01", product_category="Games")]
    df = docs_df(rows)
    at_one = sp.category_shares(df, 0.01)  # Toys and Games hold exactly 1%: kept
    assert [(c["product_category"], c["sampled"], c["dropped"]) for c in at_one] == [
        ("Books", 98, False), ("Games", 1, False), ("Toys", 1, False)]
    assert [c["product_category"] for c in sp.category_shares(df, 0.02) if c["dropped"]] == ["Games", "Toys"]


def test_target_rows():
    assert [sp.target_rows(n, 0.01) for n in (0, 1, 49, 150, 1000)] == [0, 1, 1, 2, 10]


@pytest.mark.integration  # a whole job run end to end: integration tier (make test), not make test-fast
def test_sample_job_tables_manifest_rejects_and_rerun(spark, tmp_base, docs_df, doc):
    rows = [doc(f"j{i}", "2021-01-10") for i in range(5)] + [doc(f"f{i}", "2021-02-10") for i in range(3)]
    rows += [doc("toy", "2021-03-10", product_category="Toys"), doc("bad", "2021-01-11", star_rating=None)]
    docs_df(rows).write.partitionBy("source", "month").parquet(str(tmp_base / "documents_clean"))
    cfg = config.load(config.PROJECT_ROOT / "conf" / "local.yaml", {"base_uri": str(tmp_base)})

    def run(share, run_id):
        return job.run(spark, cfg, argparse.Namespace(fraction=1.0, min_category_share=share, run_id=run_id))

    run(0.0, "keep-all")  # writes month=2021-03 (Toys)
    sample_dir = tmp_base / "analytics" / "sample" / "source=amazon_reviews"
    assert (sample_dir / "month=2021-03").exists()
    manifest = run(0.2, "drop-toys")  # Toys = 1/9 of the sample < 20%: dropped, March left empty
    assert manifest.read == 10 and manifest.written == 8
    assert manifest.rejected == {"bad_star_rating": 1} and manifest.filtered == {"small_category": 1}
    assert manifest.extra["dropped_categories"] == [
        {"product_category": "Toys", "sampled": 1, "share": pytest.approx(1 / 9), "dropped": True}]
    assert sorted(p.name for p in sample_dir.iterdir() if p.is_dir()) == ["month=2021-01", "month=2021-02"]
    months = spark.read.parquet(str(tmp_base / "analytics" / "tables" / "sample_months")).orderBy("month").collect()
    assert [tuple(r) for r in months] == [("2021-01", 5, 5, 5, 5), ("2021-02", 3, 3, 3, 3), ("2021-03", 1, 1, 1, 0)]
    ids = {r["doc_id"] for r in spark.read.parquet(str(tmp_base / "analytics" / "sample")).collect()}
    assert ids == {f"j{i}" for i in range(5)} | {f"f{i}" for i in range(3)}
    rejected = spark.read.parquet(str(tmp_base / "rejected" / "job=sample")).collect()
    assert [(r["reason"], json.loads(r["raw"])["doc_id"]) for r in rejected] == [("bad_star_rating", "bad")]
    body = json.loads((tmp_base / "manifests" / "sample" / "drop-toys.json").read_text())
    assert body["reconciled"] is True
    from_sample = analytics_job.run(spark, cfg, argparse.Namespace(from_sample=True, run_id="from-sample"))
    assert (from_sample.inputs, from_sample.read, from_sample.extra["tables"]["category_summary"]) == (
        {"sample": (tmp_base / "analytics" / "sample").as_uri()}, 8, 1)
    with pytest.raises(config.ConfigError, match="analytics.sample.fraction"):
        job.run(spark, cfg, argparse.Namespace(fraction=1.5, min_category_share=None, run_id="bad"))
