"""io.write_partitioned: one file per partition after the shuffle, files following the input splits without it,
and dynamic overwrite either way; the file-system helpers (probe, move one part, delete)."""
from __future__ import annotations

from pathlib import Path

from pyspark.sql import types as T

from vocspark import io

SCHEMA = T.StructType([T.StructField("id", T.IntegerType(), False), T.StructField("month", T.StringType(), False)])


def _files(root: Path) -> dict[str, int]:
    return {d.name: len(list(d.glob("*.parquet"))) for d in sorted(root.glob("month=*"))}


def test_write_partitioned_with_and_without_shuffle(spark, tmp_path):
    rows = [(i, "2021-01" if i % 2 else "2021-02") for i in range(8)]
    df = spark.createDataFrame(rows, SCHEMA).repartition(2)  # both input partitions hold both months
    assert df.rdd.getNumPartitions() == 2

    io.write_partitioned(df, str(tmp_path / "shuffled"), ["month"])
    assert _files(tmp_path / "shuffled") == {"month=2021-01": 1, "month=2021-02": 1}

    io.write_partitioned(df, str(tmp_path / "as_split"), ["month"], shuffle=False)
    assert _files(tmp_path / "as_split") == {"month=2021-01": 2, "month=2021-02": 2}  # one per task and month
    back = spark.read.parquet(str(tmp_path / "as_split"))
    assert sorted((r["id"], r["month"]) for r in back.collect()) == sorted(rows)

    # dynamic overwrite without the shuffle: January replaced, February untouched
    january = spark.createDataFrame([(100, "2021-01")], SCHEMA)
    io.write_partitioned(january, str(tmp_path / "as_split"), ["month"], shuffle=False)
    back = spark.read.parquet(str(tmp_path / "as_split"))
    assert sorted(r["id"] for r in back.where("month = '2021-01'").collect()) == [100]
    assert back.where("month = '2021-02'").count() == 4


def test_probe_base_passes_a_listable_or_not_yet_created_prefix_and_says_why_otherwise(spark, tmp_path):
    assert io.probe_base(spark, tmp_path.as_uri()) is None
    assert io.probe_base(spark, (tmp_path / "not" / "yet").as_uri()) is None  # the job creates it
    problem = io.probe_base(spark, "nosuchfs://bucket/prefix")
    assert problem is not None and "nosuchfs" in problem and "Exception" in problem


def test_move_single_part_and_delete(spark, tmp_path):
    folder = tmp_path / "out._tmp"
    spark.createDataFrame([(1, "a")], SCHEMA).coalesce(1).write.csv(folder.as_uri())
    target = tmp_path / "out.csv"
    target.write_text("old")
    assert io.move_single_part(spark, folder.as_uri(), target.as_uri()) is True
    assert target.read_text().strip() == "1,a" and not folder.exists()
    assert io.delete(spark, target.as_uri()) is True and not target.exists()
    assert io.delete(spark, target.as_uri()) is False


def test_list_file_status_sizes_times_and_hidden_files(spark, tmp_path):
    root = tmp_path / "raw dir"  # a space: uri is percent-encoded as Spark names files, path is not
    (root / "2021" / "05" / "01" / "10").mkdir(parents=True)
    (root / "2021" / "05" / "01" / "10" / "f-1").write_text("abc\n")
    (root / "b.tsv").write_text("x\n")
    (root / "_SUCCESS").write_text("")
    (root / ".b.tsv.crc").write_text("c")
    (root / "_temporary" / "0").mkdir(parents=True)
    (root / "_temporary" / "0" / "part-0").write_text("p")
    import os

    os.utime(root / "b.tsv", (1_600_000_000, 1_600_000_000))
    got = io.list_file_status(spark, str(root))
    assert [(f.uri.split("/raw%20dir/")[1], f.size) for f in got] == [("2021/05/01/10/f-1", 4), ("b.tsv", 2)]
    assert got[0].uri == (root / "2021" / "05" / "01" / "10" / "f-1").as_uri()
    assert got[1].path.endswith("/raw dir/b.tsv") and got[1].mtime == 1_600_000_000_000 and got[1].etag is None
    assert spark.read.text(got[1].path).count() == 1  # the path reads the file
    assert io.list_file_status(spark, str(tmp_path / "missing")) == []
    assert [f.size for f in io.list_file_status(spark, str(root / "b.tsv"))] == [2]  # one file


def test_write_rejected_appends_per_run_and_records_a_record_once(spark, tmp_path):
    from chispa import assert_df_equality
    from pyspark.sql import functions as F

    schema = T.StructType([T.StructField(c, T.StringType()) for c in ("source", "raw", "source_file", io.OUTCOME)])
    rows = [("s", "bad 1", "f1", "rejected:bad_date"), ("s", "bad 2", None, "rejected:missing_text"),
            ("s", "good", "f1", None), ("t", None, "f2", "rejected:malformed_json")]
    df = spark.createDataFrame(rows, schema)
    base = tmp_path.as_uri()
    uri = io.write_rejected(io.rejected_rows(df, "ingest", "r1", "2021-05"), base)
    io.write_rejected(io.rejected_rows(df, "ingest", "r2", "2021-06"), base)  # the same records: not again
    io.write_rejected(io.rejected_rows(df, "ingest", "r1", "2021-05"), base)  # a rerun of r1 replaces itself
    more = spark.createDataFrame([("s", "bad 3", "f1", "rejected:bad_date")], schema)
    io.write_rejected(io.rejected_rows(df.unionByName(more), "ingest", "r3", "2021-07"), base)
    io.write_rejected(io.rejected_rows(df, "preprocess", "p1", "2021-07"), base)  # another job records its own
    got = io.read_dataset(spark, uri).select("job", "source", "run_id", "reason", "raw", "source_file", "month")
    expected = spark.createDataFrame(
        [("ingest", "s", "r1", "bad_date", "bad 1", "f1", "2021-05"),
         ("ingest", "s", "r1", "missing_text", "bad 2", None, "2021-05"),
         ("ingest", "t", "r1", "malformed_json", None, "f2", "2021-05"),
         ("ingest", "s", "r3", "bad_date", "bad 3", "f1", "2021-07"),
         ("preprocess", "s", "p1", "bad_date", "bad 1", "f1", "2021-07"),
         ("preprocess", "s", "p1", "missing_text", "bad 2", None, "2021-07"),
         ("preprocess", "t", "p1", "malformed_json", None, "f2", "2021-07")],
        "job string, source string, run_id string, reason string, raw string, source_file string, month string",
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)
    parts = sorted(p.relative_to(tmp_path / "rejected").as_posix() for p in (tmp_path / "rejected").glob("*/*/*"))
    assert parts == ["job=ingest/source=s/run_id=r1", "job=ingest/source=s/run_id=r3", "job=ingest/source=t/run_id=r1",
                     "job=preprocess/source=s/run_id=p1", "job=preprocess/source=t/run_id=p1"]
    assert got.where(F.col("month").isNull()).count() == 0
