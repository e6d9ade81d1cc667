"""The ingest job: shared rules (length, duplicates, month), outputs, manifest reconciliation, idempotency,
missing and empty inputs."""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import config, io, schemas
from vocspark.jobs import ingest

STAGED = T.StructType(
    [
        T.StructField("source", T.StringType()),
        T.StructField("doc_id", T.StringType()),
        T.StructField("created_at", T.TimestampType()),
        T.StructField("source_file", T.StringType()),
        T.StructField("text", T.StringType()),
        T.StructField(io.OUTCOME, T.StringType()),
    ]
)
TS = dt.datetime(2021, 5, 1, 10)


def test_filter_length_bounds_are_exclusive_and_trimmed(spark):
    rows = [
        ("s", "a", TS, "f", "12345", None),  # 5 chars: not more than 5
        ("s", "b", TS, "f", "123456", None),  # 6: kept
        ("s", "c", TS, "f", "  123456  ", None),  # trimmed 6: kept
        ("s", "d", TS, "f", "x" * 9, None),  # 9 = max: not fewer than max
        ("s", "e", TS, "f", "x" * 8, None),
        ("s", "f", TS, "f", "", "rejected:missing_text"),  # an earlier outcome is kept
        ("s", "g", TS, "f", "ação 😀!", None),  # characters, not bytes: 7
    ]
    df = spark.createDataFrame(rows, STAGED)
    got = {r["doc_id"]: r[io.OUTCOME] for r in ingest.filter_length(df, 5, 9).collect()}
    assert got == {
        "a": "filtered:length", "b": None, "c": None, "d": "filtered:length", "e": None,
        "f": "rejected:missing_text", "g": None,
    }


def test_mark_duplicates_keeps_one_per_id_deterministically(spark):
    later = TS + dt.timedelta(hours=1)
    rows = [
        ("s", "1", TS, "f1", "same text", None),
        ("s", "1", TS, "f2", "same text", None),  # exact copy in another file
        ("s", "1", TS, "f1", "same text", None),  # exact copy in the same file
        ("s", "2", TS, "f1", "old", None),
        ("s", "2", later, "f1", "edited", None),  # same id, later: wins
        ("t", "1", TS, "f1", "other source, same id", None),
        ("s", "3", TS, "f1", "x", "filtered:length"),  # already out: not a duplicate
        ("s", "3", TS, "f1", "x long enough", None),
        ("s", None, None, "f1", None, "rejected:missing_id"),
        ("s", None, None, "f1", None, "rejected:missing_id"),
    ]
    df = spark.createDataFrame(rows, STAGED)
    expected = spark.createDataFrame(
        [
            ("s", "1", TS, "f1", "same text", None),
            ("s", "1", TS, "f2", "same text", "filtered:duplicate"),
            ("s", "1", TS, "f1", "same text", "filtered:duplicate"),
            ("s", "2", TS, "f1", "old", "filtered:duplicate"),
            ("s", "2", later, "f1", "edited", None),
            ("t", "1", TS, "f1", "other source, same id", None),
            ("s", "3", TS, "f1", "x", "filtered:length"),
            ("s", "3", TS, "f1", "x long enough", None),
            ("s", None, None, "f1", None, "rejected:missing_id"),
            ("s", None, None, "f1", None, "rejected:missing_id"),
        ],
        STAGED,
    )
    assert_df_equality(ingest.mark_duplicates(df), expected, ignore_row_order=True)


def test_with_month_uses_utc(spark):
    schema = T.StructType([T.StructField("created_at", T.TimestampType())])
    df = spark.createDataFrame([(dt.datetime(2021, 1, 31, 23, 59, 59),), (dt.datetime(2021, 2, 1, 0, 0),), (None,)], schema)
    got = [r["month"] for r in ingest.with_month(df).collect()]
    assert got == ["2021-01", "2021-02", None]


# --------------------------------------------------------------------------- the whole job on hand-made raw files
def make_cfg(base: Path, **sources_override) -> config.Config:
    data = {
        "profile": "local",
        "base_uri": str(base),
        "sources": {
            "amazon_reviews": {"kind": "amazon_reviews_tsv", "path": "${base_uri}/raw/amazon_reviews", "lang": "en", "marketplaces": ["US"]},
            "tweets": {"kind": "twitter_firehose_json", "path": "${base_uri}/raw/tweets", "keywords": ["pedido"]},
            "instagram": {"kind": "instagram_csv", "path": "${base_uri}/raw/instagram", "lang": "pt"},
        },
    }
    data["sources"].update(sources_override)
    return config.resolve(data, root=base)


def run_ingest(spark, cfg, run_id, sources=None, **selection):
    return ingest.run(spark, cfg, argparse.Namespace(sources=sources, run_id=run_id, **selection))


def read_documents(spark, base: Path):
    return io.read_dataset(spark, (base / "documents").as_uri())


@pytest.mark.integration  # a whole job run end to end: integration tier (make test), not make test-fast
def test_ingest_end_to_end_reconciles_and_is_idempotent(spark, tmp_base, write_raw_fixture):
    write_raw_fixture(tmp_base)
    cfg = make_cfg(tmp_base)
    m1 = run_ingest(spark, cfg, "run1")

    assert m1.reconciled
    assert (m1.read, m1.written) == (18, 10)
    assert m1.rejected == {"bad_date": 2, "malformed_json": 1}
    assert m1.filtered == {"duplicate": 3, "length": 1, "marketplace": 1}
    per_source = m1.extra["by_source"]
    assert per_source["amazon_reviews"]["written"] == 6 and per_source["tweets"]["written"] == 2
    assert per_source["instagram"] == {"read": 4, "written": 2, "rejected": {"bad_date": 1}, "filtered": {"duplicate": 1}}

    manifest = json.loads((tmp_base / "manifests" / "ingest" / "run1.json").read_text())
    counts = manifest["counts"]
    assert counts["read"] == counts["written"] + sum(counts["rejected"].values()) + sum(counts["filtered"].values())
    assert manifest["reconciled"] is True and manifest["versions"]["spark"].startswith("3.5")
    assert manifest["outputs"]["documents"].endswith("/documents")
    steps = {s["name"]: s for s in manifest["extra"]["steps"]}  # run.step: one entry per step with its rows
    assert list(steps) == ["stage_and_count", "write_documents", "write_rejected"]
    assert (steps["stage_and_count"]["rows"], steps["write_documents"]["rows"]) == (18, 10)
    assert manifest["args"]["sources"] is None and manifest["args"]["run_id"] == "run1"

    partitions = sorted(p.relative_to(tmp_base / "documents").as_posix() for p in (tmp_base / "documents").glob("*/*"))
    assert partitions == [
        "source=amazon_reviews/month=2021-01", "source=amazon_reviews/month=2021-02",
        "source=instagram/month=2021-03", "source=tweets/month=2021-02",
    ]
    docs = read_documents(spark, tmp_base)
    assert docs.count() == 10
    assert docs.select("doc_id").distinct().count() == 10
    assert set(docs.columns) == {f.name for f in schemas.DOCUMENTS.fields}
    tweet = docs.where(F.col("source") == "tweets").orderBy("doc_id").first()
    assert (tweet["doc_id"], tweet["lang"], tweet["month"]) == ("1", "es", "2021-02")

    rejected = io.read_dataset(spark, (tmp_base / "rejected").as_uri())
    rej = {(r["source"], r["reason"]): r["raw"] for r in rejected.collect()}
    assert rej[("tweets", "malformed_json")] == "{broken"
    assert "not-a-date" in rej[("amazon_reviews", "bad_date")]
    assert {r["job"] for r in rejected.collect()} == {"ingest"}

    before = sorted(tuple(r) for r in docs.orderBy("doc_id").collect())
    rejected_before = sorted(tuple(r) for r in rejected.drop("run_id").collect())
    m2 = run_ingest(spark, cfg, "run2")
    assert (m2.read, m2.written) == (m1.read, m1.written)
    after = sorted(tuple(r) for r in read_documents(spark, tmp_base).collect())
    assert after == before
    rejected_after = io.read_dataset(spark, (tmp_base / "rejected").as_uri()).drop("run_id").collect()
    assert sorted(tuple(r) for r in rejected_after) == rejected_before and len(rejected_before) == 3


def test_ingest_one_source_leaves_the_others(spark, tmp_base, write_raw_fixture):
    write_raw_fixture(tmp_base)
    cfg = make_cfg(tmp_base)
    run_ingest(spark, cfg, "all")
    m = run_ingest(spark, cfg, "tweets-only", sources="tweets")
    assert m.read == 4 and set(m.extra["by_source"]) == {"tweets"}
    assert read_documents(spark, tmp_base).count() == 10


def test_ingest_some_months_writes_them_whole_and_leaves_the_others(spark, tmp_base, write_raw_fixture):
    """--months / --last-days: kept rows of other months are filtered (outside_months), the selected months are
    rewritten whole and the other months' partitions stay as they were; the manifest still reconciles."""
    write_raw_fixture(tmp_base)
    cfg = make_cfg(tmp_base)
    run_ingest(spark, cfg, "all")
    before = sorted(tuple(r) for r in read_documents(spark, tmp_base).collect())
    feb_amazon = tmp_base / "documents" / "source=amazon_reviews" / "month=2021-02"
    feb_files = sorted(p.name for p in feb_amazon.glob("*.parquet"))

    m = run_ingest(spark, cfg, "jan", months="2021-01")
    assert m.reconciled and m.extra["months"] == ["2021-01"]
    jan_rows = read_documents(spark, tmp_base).where(F.col("month") == "2021-01").count()
    assert m.written == jan_rows > 0
    assert m.filtered["outside_months"] == 10 - jan_rows  # every other kept row of the fixture
    assert m.rejected == {"bad_date": 2, "malformed_json": 1}  # rejects do not depend on the selection
    assert sorted(tuple(r) for r in read_documents(spark, tmp_base).collect()) == before
    assert sorted(p.name for p in feb_amazon.glob("*.parquet")) == feb_files  # February was not rewritten

    # the last 3 days before 2021-03-02 touch February and March: January is left alone
    m = run_ingest(spark, cfg, "last3", last_days=3, as_of="2021-03-02")
    assert m.extra["months"] == ["2021-02", "2021-03"]
    assert m.written == read_documents(spark, tmp_base).where(F.col("month") != "2021-01").count()
    assert sorted(tuple(r) for r in read_documents(spark, tmp_base).collect()) == before


def test_month_selection_arguments():
    from vocspark import args as args_mod

    assert args_mod.months_touched(7, dt.date(2021, 7, 3)) == ["2021-06", "2021-07"]
    assert args_mod.months_touched(0, dt.date(2021, 7, 3)) == ["2021-07"]
    assert args_mod.months_touched(40, dt.date(2021, 1, 5)) == ["2020-11", "2020-12", "2021-01"]
    ns = argparse.Namespace
    assert args_mod.selected_months(ns(months=None, last_days=None)) is None
    assert args_mod.selected_months(ns(months="2021-01, 2021-02", last_days=None)) == ["2021-01", "2021-02"]
    with pytest.raises(config.ConfigError, match=r"--months: `2021-13`"):
        args_mod.selected_months(ns(months="2021-13", last_days=None))
    with pytest.raises(config.ConfigError, match=r"--as-of: `yesterday`"):
        args_mod.selected_months(ns(months=None, last_days=7, as_of="yesterday"))
    with pytest.raises(config.ConfigError, match=r"--last-days"):
        args_mod.selected_months(ns(months=None, last_days=-1, as_of="2021-01-01"))
    parser = argparse.ArgumentParser()
    ingest.add_arguments(parser)
    with pytest.raises(SystemExit):  # --months and --last-days exclude each other
        parser.parse_args(["--months", "2021-01", "--last-days", "7"])
    assert parser.parse_args(["--last-days", "7", "--as-of", "2021-07-03"]).last_days == 7


def test_missing_input_fails_before_any_write_naming_the_path(spark, tmp_base):
    cfg = make_cfg(tmp_base)
    with pytest.raises(io.MissingInputError, match=r"sources\.amazon_reviews\.path.*raw/amazon_reviews"):
        run_ingest(spark, cfg, "x")
    assert not (tmp_base / "documents").exists() and not (tmp_base / "manifests").exists()


def test_unknown_source_argument_is_named(spark, tmp_base):
    with pytest.raises(config.ConfigError, match="nope"):
        run_ingest(spark, make_cfg(tmp_base), "x", sources="nope")


def test_empty_input_succeeds_with_zero_rows_and_a_manifest(spark, tmp_base):
    for name in ("amazon_reviews", "tweets", "instagram"):
        (tmp_base / "raw" / name).mkdir(parents=True)
    m = run_ingest(spark, make_cfg(tmp_base), "empty")
    assert (m.read, m.written, m.rejected, m.filtered) == (0, 0, {}, {})
    manifest = json.loads((tmp_base / "manifests" / "ingest" / "empty.json").read_text())
    assert manifest["counts"]["read"] == 0 and manifest["reconciled"] is True
