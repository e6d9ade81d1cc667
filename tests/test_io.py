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
