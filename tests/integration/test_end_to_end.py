"""generate -> ingest -> preprocess on a small generated dataset: manifests reconcile, month partitions exist,
the demo truth agrees with what ingest kept, and a rerun leaves identical outputs."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from vocspark import config, io
from vocspark.jobs import generate_demo_data, ingest, preprocess

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_base(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


def cfg_for(base: Path) -> config.Config:
    return config.load(ROOT / "conf" / "local.yaml", {"base_uri": str(base)})


def gen_args(**kw):
    defaults = dict(reviews=600, tweets=400, comments=800, seed=7, malformed_fraction=0.03, duplicate_fraction=0.03,
                    start_date="2021-01-01", months=2, out=None, truth=None, workers=1, run_id=None)
    defaults.update(kw)
    return argparse.Namespace(**defaults)


def snapshot(spark, uri: str) -> list[tuple]:
    df = io.read_dataset(spark, uri)
    return sorted(tuple(str(v) for v in row) for row in df.collect())


def latest_manifest(base: Path, job: str) -> dict:
    files = sorted((base / "manifests" / job).glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(files[-1].read_text())


def test_generate_ingest_preprocess_reconcile_and_rerun_identically(spark, demo_base):
    cfg = cfg_for(demo_base)
    summary = generate_demo_data.run(spark, cfg, gen_args())
    m_ingest = ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="e2e-ingest-1"))
    m_pre = preprocess.run(spark, cfg, argparse.Namespace(sources=None, months=None, run_id="e2e-pre-1"))

    # manifests reconcile, on disk too
    for job, run_id in (("ingest", "e2e-ingest-1"), ("preprocess", "e2e-pre-1")):
        body = json.loads((demo_base / "manifests" / job / f"{run_id}.json").read_text())
        c = body["counts"]
        assert body["reconciled"] and c["read"] == c["written"] + sum(c["rejected"].values()) + sum(c["filtered"].values())
    assert m_ingest.read >= 1800  # every generated record (split broken lines count twice)
    assert m_pre.read == m_ingest.written

    # what ingest kept per source equals what the generator planted as keepable
    per_source = m_ingest.extra["by_source"]
    for source, counts in summary["sources"].items():
        assert per_source[source]["written"] == counts["expected_kept"], source
    assert set(m_ingest.rejected) >= {"bad_date", "invalid_utf8", "missing_text"}
    assert m_ingest.filtered.get("duplicate", 0) > 0

    # month partitions per source
    for dataset in ("documents", "documents_clean", "sentences"):
        parts = sorted(p.relative_to(demo_base / dataset).as_posix() for p in (demo_base / dataset).glob("source=*/month=*"))
        assert "source=instagram/month=2021-01" in parts and "source=instagram/month=2021-02" in parts, dataset
        assert any(p.startswith("source=tweets/") for p in parts) and any(p.startswith("source=amazon_reviews/") for p in parts)

    clean = io.read_dataset(spark, cfg.uri("documents_clean"))
    assert clean.count() == m_ingest.written
    assert clean.where(F.col("n_tokens") != F.size("tokens")).count() == 0
    sentences = io.read_dataset(spark, cfg.uri("sentences"))
    assert sentences.select("doc_id").distinct().count() <= clean.count()

    before = {d: snapshot(spark, cfg.uri(d)) for d in ("documents", "documents_clean", "sentences")}
    generate_demo_data.run(spark, cfg, gen_args())
    ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="e2e-ingest-2"))
    preprocess.run(spark, cfg, argparse.Namespace(sources=None, months=None, run_id="e2e-pre-2"))
    after = {d: snapshot(spark, cfg.uri(d)) for d in ("documents", "documents_clean", "sentences")}
    assert after == before
    assert latest_manifest(demo_base, "ingest")["counts"] == json.loads(
        (demo_base / "manifests" / "ingest" / "e2e-ingest-1.json").read_text())["counts"]
