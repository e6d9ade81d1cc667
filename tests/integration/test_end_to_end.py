"""generate -> ingest -> preprocess on the shared generated demo base (``demo_template``, tests/conftest.py):
manifests reconcile, month partitions exist, the demo truth agrees with what ingest kept, and a rerun (on this
module's own copy of the base) leaves identical outputs."""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from vocspark import io
from vocspark.jobs import generate_demo_data, ingest, preprocess

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("small_plans")]
DATASETS = ("documents", "documents_clean", "sentences")


def snapshot(spark, uri: str, *bases: Path) -> list[tuple]:
    """Every row as strings, sorted; lineage (``source_file``) made relative to whichever of ``bases`` it names, so
    a copy of a base compares equal to the base."""
    df = io.read_dataset(spark, uri)
    prefixes = sorted({p for b in bases for p in (b.as_uri() + "/", f"file:{b}/")}, key=len, reverse=True)
    rows = []
    for row in df.collect():
        values = row.asDict()
        if values.get("source_file"):
            for prefix in prefixes:
                values["source_file"] = values["source_file"].replace(prefix, "<base>/")
        rows.append(tuple(str(values[c]) for c in df.columns))
    return sorted(rows)


def test_generate_ingest_preprocess_reconcile(spark, demo_template):
    base, summary = demo_template.path, demo_template.summary
    m_ingest, m_pre = demo_template.ingest, demo_template.preprocess

    # manifests reconcile, on disk too
    for job, manifest in (("ingest", m_ingest), ("preprocess", m_pre)):
        body = json.loads((base / "manifests" / job / f"{manifest.run_id}.json").read_text())
        c = body["counts"]
        assert body["reconciled"] and c["read"] == c["written"] + sum(c["rejected"].values()) + sum(c["filtered"].values())
    generated = sum(counts["records"] for counts in summary["sources"].values())
    assert generated == sum(vars(demo_template.generate_args())[k] for k in ("reviews", "tweets", "comments"))
    assert m_ingest.read >= generated  # every generated record (split broken lines count twice)
    assert m_pre.read == m_ingest.written

    # what ingest kept per source equals what the generator planted as keepable
    per_source = m_ingest.extra["by_source"]
    for source, counts in summary["sources"].items():
        assert per_source[source]["written"] == counts["expected_kept"] > 0, source
    assert set(m_ingest.rejected) >= {"bad_date", "invalid_utf8", "missing_text"}
    assert m_ingest.filtered.get("duplicate", 0) > 0

    # month partitions per source
    for dataset in DATASETS:
        parts = sorted(p.relative_to(base / dataset).as_posix() for p in (base / dataset).glob("source=*/month=*"))
        for source in ("amazon_reviews", "tweets", "instagram"):
            assert [p for p in parts if p.startswith(f"source={source}/")], (dataset, source)
        assert {"source=instagram/month=2021-01", "source=instagram/month=2021-03"} <= set(parts), dataset

    clean = io.read_dataset(spark, (base / "documents_clean").as_uri())
    assert clean.count() == m_ingest.written
    assert clean.where(F.col("n_tokens") != F.size("tokens")).count() == 0
    sentences = io.read_dataset(spark, (base / "sentences").as_uri())
    assert 0 < sentences.select("doc_id").distinct().count() <= clean.count()


def test_rerun_leaves_identical_outputs(spark, demo_template, demo_base):
    cfg = demo_template.cfg(demo_base)
    before = {d: snapshot(spark, cfg.uri(d), demo_template.path, demo_base) for d in DATASETS}
    assert all(before.values())
    generate_demo_data.run(spark, cfg, demo_template.generate_args())
    m_ingest = ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="e2e-ingest-2"))
    m_pre = preprocess.run(spark, cfg, argparse.Namespace(sources=None, months=None, run_id="e2e-pre-2"))
    after = {d: snapshot(spark, cfg.uri(d), demo_template.path, demo_base) for d in DATASETS}
    for dataset in DATASETS:
        assert after[dataset] == before[dataset], dataset
    first = json.loads((demo_base / "manifests" / "ingest" / f"{demo_template.ingest.run_id}.json").read_text())
    again = json.loads((demo_base / "manifests" / "ingest" / "e2e-ingest-2.json").read_text())
    assert again["counts"] == first["counts"]
    assert (m_ingest.written, m_pre.written) == (demo_template.ingest.written, demo_template.preprocess.written)
    # the template itself is untouched: still only the first runs' manifests, every file as it was made
    assert sorted(p.name for p in (demo_template.path / "manifests" / "ingest").glob("*.json")) == [
        f"{demo_template.ingest.run_id}.json"]
    demo_template.check_untouched()
    one_file_less = dataclasses.replace(demo_template, fingerprint=demo_template.fingerprint[1:])
    with pytest.raises(AssertionError, match="changed the shared demo template"):
        one_file_less.check_untouched()  # what a module writing into the template would meet
