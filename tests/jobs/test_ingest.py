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


def relative_lineage(df):
    """``source_file`` from ``raw/`` on, so a rebuild in another base compares equal."""
    return df.withColumn("source_file", F.regexp_replace(F.col("source_file"), r"^.*?/raw/", "raw/"))


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
    assert list(steps) == [
        "plan_files", "months_of_new_files", "stage_and_count", "write_documents", "write_rejected", "write_ledger"]
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

    assert m1.extra["ledger"]["new_files"] == sorted(
        p.as_uri() for p in (tmp_base / "raw").rglob("*") if p.is_file())
    assert m1.extra["ledger"]["rejected_recorded"] == 3

    # a second run finds no new file: it reads nothing, rewrites nothing and records no reject again
    before = sorted(tuple(r) for r in docs.orderBy("doc_id").collect())
    rejected_before = sorted(tuple(r) for r in rejected.collect())
    m2 = run_ingest(spark, cfg, "run2")
    assert (m2.read, m2.written, m2.rejected, m2.filtered) == (0, 0, {}, {}) and m2.reconciled
    assert m2.extra["ledger"] == {**m2.extra["ledger"], "new_files": [], "reread_files": 0, "skipped_files": 4,
                                  "pruned_files": 0, "rejected_recorded": 0}
    assert json.loads((tmp_base / "manifests" / "ingest" / "run2.json").read_text())["counts"]["read"] == 0
    after = sorted(tuple(r) for r in read_documents(spark, tmp_base).collect())
    assert after == before
    rejected_after = io.read_dataset(spark, (tmp_base / "rejected").as_uri()).collect()
    assert sorted(tuple(r) for r in rejected_after) == rejected_before and len(rejected_before) == 3


def test_ingest_one_source_leaves_the_others(spark, tmp_base, write_raw_fixture):
    write_raw_fixture(tmp_base)
    cfg = make_cfg(tmp_base)
    run_ingest(spark, cfg, "all")
    m = run_ingest(spark, cfg, "tweets-only", sources="tweets", reprocess="all")
    assert m.read == 4 and set(m.extra["by_source"]) == {"tweets"}
    assert m.extra["ledger"]["reread_files"] == 2 and m.extra["ledger"]["rejected_recorded"] == 0
    assert read_documents(spark, tmp_base).count() == 10


def test_reprocess_rebuilds_chosen_months_whole_and_leaves_the_others(spark, tmp_base, write_raw_fixture):
    """--reprocess: the chosen months are rebuilt from every file that touched them (whatever the ledger says),
    kept rows of other months are filtered (outside_months) and those partitions stay as they were; rejects of
    the re-read files are counted, not recorded again; the manifest still reconciles."""
    write_raw_fixture(tmp_base)
    cfg = make_cfg(tmp_base)
    run_ingest(spark, cfg, "all")
    before = sorted(tuple(r) for r in read_documents(spark, tmp_base).collect())
    feb_amazon = tmp_base / "documents" / "source=amazon_reviews" / "month=2021-02"
    feb_files = sorted(p.name for p in feb_amazon.glob("*.parquet"))
    rejected_before = io.read_dataset(spark, (tmp_base / "rejected").as_uri()).count()

    m = run_ingest(spark, cfg, "jan", reprocess="2021-01")
    assert m.reconciled and m.extra["ledger"]["months_written"]["amazon_reviews"] == ["2021-01"]
    assert m.extra["ledger"]["new_files"] == [] and m.extra["ledger"]["reread_files"] == 1  # only the TSV has January
    jan_rows = read_documents(spark, tmp_base).where(F.col("month") == "2021-01").count()
    assert m.written == jan_rows > 0
    assert m.filtered["outside_months"] == 6 - jan_rows  # the TSV's February reviews
    assert m.rejected == {"bad_date": 1} and m.extra["ledger"]["rejected_recorded"] == 0
    assert sorted(tuple(r) for r in read_documents(spark, tmp_base).collect()) == before
    assert sorted(p.name for p in feb_amazon.glob("*.parquet")) == feb_files  # February was not rewritten
    assert io.read_dataset(spark, (tmp_base / "rejected").as_uri()).count() == rejected_before

    m = run_ingest(spark, cfg, "all-again", reprocess="all")
    assert (m.read, m.written) == (18, 10) and m.extra["ledger"]["reread_files"] == 4
    assert sorted(tuple(r) for r in read_documents(spark, tmp_base).collect()) == before
    with pytest.raises(config.ConfigError, match=r"--reprocess: `2021-1`"):
        run_ingest(spark, cfg, "bad", reprocess="2021-1")


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


# --------------------------------------------------------------------------- incremental ingest (issue 11)
EXTRA_TSV = "amazon_reviews/amazon_reviews_us_Kitchen_v1_01.tsv"
LATE_TWEET = "tweets/2021/03/01/00/voc-tweets-1-2021-03-01-00-10-00-c"
TWEET = ('{{"id": "{i}", "text": "Mi pedido {i} no llegó", "created_at": "{ts}", "author_id": "7", "lang": "es", '
         '"public_metrics": {{"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}}}}')


def write_more_raw(root: Path) -> None:
    """Two more files besides the fixture's: a TSV whose R1 (February) is a second copy (same date, other text: the
    first file's copy wins) with a new January review and a malformed line, and a late tweet delivered on
    1 March but created on 28 February."""
    extra_tsv = root / "raw" / EXTRA_TSV
    row = "US\t2\t{id}\tB2\t9\tToaster\tKitchen\t5\t0\t0\tN\tY\tOk\t{text}\t{date}"
    lines = [ingest.amazon.HEADER_PREFIX + "x", row.format(id="R1", text="The same review id again", date="2021-02-15"),
             row.format(id="R10", text="A toaster that toasts well", date="2021-01-20"),
             row.format(id="Rbad2", text="Bad stars", date="2021-01-20").replace("\t5\t", "\t9\t")]
    extra_tsv.write_text("\n".join(lines) + "\n")
    late = root / "raw" / LATE_TWEET
    late.parent.mkdir(parents=True)
    late.write_text(TWEET.format(i=3, ts="2021-02-28T23:59:00.000Z") + "\n")


def _raw_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root / "raw").as_posix() for p in (root / "raw").rglob("*") if p.is_file())


def _copy_raw(src_root: Path, dest_root: Path, names: list[str]) -> None:
    for name in names:
        dest = dest_root / "raw" / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((src_root / "raw" / name).read_bytes())


def _rejected_records(spark, base: Path):
    df = io.read_dataset(spark, (base / "rejected").as_uri())
    return sorted((r["source"], r["reason"], r["source_file"].split("/raw/")[1], r["raw"]) for r in df.collect())


@pytest.mark.integration
def test_incremental_ingest_in_three_steps_equals_one_full_run(spark, tmp_path, write_raw_fixture):
    """Files delivered in three steps, ingested after each, give exactly the documents of one run over all files
    (chispa, any row order); each malformed record is recorded once although later runs re-read its file."""
    full_base, inc_base = tmp_path / "full", tmp_path / "inc"
    write_raw_fixture(full_base)
    write_more_raw(full_base)
    files = _raw_files(full_base)
    tweet_a, tweet_b = [f for f in files if f.startswith("tweets/2021/02/")]
    steps = [
        ["amazon_reviews/amazon_reviews_us_Kitchen_v1_00.tsv", tweet_a],
        [tweet_b, EXTRA_TSV],  # February tweets again (a redelivery); January and February reviews again
        ["instagram/comments_2021-03.csv", LATE_TWEET],
    ]
    assert sorted(f for step in steps for f in step) == files
    for name in ("amazon_reviews", "tweets", "instagram"):
        (inc_base / "raw" / name).mkdir(parents=True)
    cfg = make_cfg(inc_base)
    manifests = []
    for i, step in enumerate(steps, start=1):
        _copy_raw(full_base, inc_base, step)
        manifests.append(run_ingest(spark, cfg, f"step{i}"))
        assert manifests[-1].reconciled
        assert manifests[-1].extra["ledger"]["new_files"] == sorted((inc_base / "raw" / f).as_uri() for f in step)
    full = run_ingest(spark, make_cfg(full_base), "full")

    # step 2 re-read the first TSV (its months are rewritten) and the first tweet file; step 3 re-read tweet files
    assert (manifests[1].extra["ledger"]["reread_files"], manifests[1].extra["ledger"]["skipped_files"]) == (2, 0)
    assert manifests[2].extra["ledger"]["reread_files"] == 2 and manifests[2].extra["ledger"]["skipped_files"] == 2
    assert manifests[1].rejected == {"bad_date": 1, "bad_number": 1, "malformed_json": 1}  # counted again ...
    assert manifests[1].extra["ledger"]["rejected_recorded"] == 1  # ... recorded: only the new TSV's bad line
    assert manifests[1].extra["ledger"]["reread_rows"] == 10 + 3

    inc_docs = relative_lineage(read_documents(spark, inc_base))
    full_docs = relative_lineage(read_documents(spark, full_base))
    assert full_docs.count() == full.written == 12
    assert_df_equality(inc_docs, full_docs, ignore_row_order=True, ignore_column_order=True)
    assert _rejected_records(spark, inc_base) == _rejected_records(spark, full_base)
    assert len(_rejected_records(spark, inc_base)) == 4


@pytest.mark.integration
def test_changed_file_is_read_again_and_its_old_rejects_are_not_recorded_again(spark, tmp_base, write_raw_fixture):
    write_raw_fixture(tmp_base)
    cfg = make_cfg(tmp_base)
    run_ingest(spark, cfg, "first")
    csv = tmp_base / "raw" / "instagram" / "comments_2021-03.csv"
    with csv.open("a") as out:  # a late line appended to a delivered file: new size and modification time
        out.write('2021-03-05 10:00:00,dan,https://www.instagram.com/p/b/,"Chegou tudo certo, obrigado"\n')
    m = run_ingest(spark, cfg, "changed")
    assert m.extra["ledger"]["new_files"] == [csv.as_uri()]
    assert (m.read, m.written, m.rejected) == (5, 3, {"bad_date": 1})  # the whole file again
    assert m.extra["ledger"]["rejected_recorded"] == 0  # its bad date was recorded by the first run
    insta = read_documents(spark, tmp_base).where(F.col("source") == "instagram")
    assert sorted(r["user_id"] for r in insta.collect()) == ["ana", "bia", "dan"]
    assert [r[1] for r in _rejected_records(spark, tmp_base) if r[0] == "instagram"] == ["bad_date"]


@pytest.mark.integration
def test_firehose_prefix_pruning_with_a_month_selection(spark, tmp_base, write_raw_fixture):
    """--months 2021-02: a tweet file delivered on 1 March is read (one day of margin, its tweet is February's), one
    delivered on 2 March or in May is not read nor recorded; a later run without selection takes them."""
    write_raw_fixture(tmp_base)
    write_more_raw(tmp_base)
    for hour, ts, i in (("2021/03/02/00", "2021-03-01T23:00:00.000Z", 4), ("2021/05/10/00", "2021-05-10T00:01:00.000Z", 5)):
        folder = tmp_base / "raw" / "tweets" / hour
        folder.mkdir(parents=True)
        (folder / f"voc-tweets-{i}").write_text(TWEET.format(i=i, ts=ts) + "\n")
    cfg = make_cfg(tmp_base)
    m = run_ingest(spark, cfg, "feb", sources="tweets", months="2021-02")
    assert m.extra["ledger"]["pruned_files"] == 2
    assert [u.split("/raw/")[1] for u in m.extra["ledger"]["new_files"]] == [
        "tweets/2021/02/03/04/voc-tweets-1-2021-02-03-04-00-00-a", "tweets/2021/02/03/04/voc-tweets-1-2021-02-03-04-30-00-b",
        LATE_TWEET]
    assert sorted(r["doc_id"] for r in read_documents(spark, tmp_base).collect()) == ["1", "2", "3"]

    m = run_ingest(spark, cfg, "rest", sources="tweets")
    assert [u.split("/raw/")[1] for u in m.extra["ledger"]["new_files"]] == [
        "tweets/2021/03/02/00/voc-tweets-4", "tweets/2021/05/10/00/voc-tweets-5"]
    assert m.extra["ledger"]["months_written"]["tweets"] == ["2021-03", "2021-05"]
    assert m.extra["ledger"]["reread_files"] == 0 and m.extra["ledger"]["skipped_files"] == 3
    assert sorted(r["doc_id"] for r in read_documents(spark, tmp_base).collect()) == ["1", "2", "3", "4", "5"]


def test_month_selection_leaves_other_months_pending_until_selected(spark, tmp_base, write_raw_fixture):
    """A new file's records outside --months are not written and not lost: the ledger keeps their months pending,
    and a later run selecting them re-reads the file."""
    write_raw_fixture(tmp_base)
    cfg = make_cfg(tmp_base)
    m = run_ingest(spark, cfg, "jan", sources="amazon_reviews", months="2021-01")
    assert m.extra["ledger"]["pending_months"]["amazon_reviews"] == ["2021-02"] and m.written == 3
    m = run_ingest(spark, cfg, "feb", sources="amazon_reviews", months="2021-02")
    assert m.extra["ledger"]["new_files"] == [] and m.extra["ledger"]["reread_files"] == 1
    assert m.written == 3 and m.extra["ledger"]["pending_months"]["amazon_reviews"] == []
    assert m.extra["ledger"]["rejected_recorded"] == 0
    assert read_documents(spark, tmp_base).count() == 6


def test_unreadable_ledger_fails_before_any_write_naming_it(spark, tmp_base, write_raw_fixture):
    write_raw_fixture(tmp_base)
    ledger_dir = tmp_base / "ledger" / "ingest"
    ledger_dir.mkdir(parents=True)
    (ledger_dir / "r0.jsonl").write_text('{"source": "tweets", "uri": "x"\n')
    with pytest.raises(ingest.ledger.LedgerError, match=r"ledger at .*ledger/ingest: r0.jsonl line 1"):
        run_ingest(spark, make_cfg(tmp_base), "x")
    assert not (tmp_base / "documents").exists() and not (tmp_base / "rejected").exists()
    assert sorted(p.name for p in ledger_dir.iterdir()) == ["r0.jsonl"]


def test_within_selection_margin_and_delivery_date():
    assert ingest.twitter.delivery_date("s3a://b/raw/tweets/2021/03/01/00/f-1") == dt.date(2021, 3, 1)
    assert ingest.twitter.delivery_date("file:///raw/amazon/reviews.tsv") is None
    assert ingest.within_selection(dt.date(2021, 3, 1), ["2021-02"])
    assert ingest.within_selection(dt.date(2021, 1, 31), ["2021-02"])
    assert not ingest.within_selection(dt.date(2021, 3, 2), ["2021-02"])
    assert not ingest.within_selection(dt.date(2021, 1, 30), ["2021-02"])
    assert ingest.within_selection(dt.date(2021, 12, 31), ["2021-01", "2022-01"])
    assert ingest.reprocess_months(" all ") == "all" and ingest.reprocess_months("2021-01,2021-02") == ["2021-01", "2021-02"]
