"""schemas: conform (strict refuses lossy casts, naming the column and a value; nulls and typed input pass, with
no Spark job when nothing needs a check), derived views (nullable, fields) and the partition columns of every
partitioned contract."""
from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from vocspark import schemas


def struct(*fields: tuple[str, T.DataType]) -> T.StructType:
    return T.StructType([T.StructField(name, data_type, True) for name, data_type in fields])


TEXT = struct(("id", T.StringType()), ("n", T.StringType()), ("day", T.StringType()))
TYPED = struct(("id", T.StringType()), ("n", T.IntegerType()), ("day", T.DateType()))


def test_strict_conform_names_the_column_and_a_value_it_cannot_cast(spark):
    df = spark.createDataFrame([("a", "12", "2021-02-28"), ("b", "x1", "2021-03-01"), ("c", None, None)], TEXT)
    with pytest.raises(schemas.LossyCastError, match=r"column `n`: value 'x1' \(string\) is not a valid int"):
        schemas.conform(df, TYPED, strict=True)
    bad_day = spark.createDataFrame([("a", "1", "2021-02-30")], TEXT)  # no such day
    with pytest.raises(schemas.LossyCastError, match=r"column `day`: value '2021-02-30'.*date"):
        schemas.conform(bad_day, TYPED, strict=True)


def test_default_conform_still_turns_an_unparseable_value_into_null(spark):
    df = spark.createDataFrame([("a", "12", "2021-02-28"), ("b", "x1", None)], TEXT)
    expected = spark.createDataFrame([("a", 12, dt.date(2021, 2, 28)), ("b", None, None)], TYPED)
    assert_df_equality(schemas.conform(df, TYPED), expected, ignore_row_order=True, ignore_nullable=True)


def test_strict_conform_lets_nulls_and_good_values_through(spark):
    df = spark.createDataFrame([("a", "12", "2021-02-28"), ("b", None, None), (None, "-3", "1999-12-31")], TEXT)
    expected = spark.createDataFrame(
        [("a", 12, dt.date(2021, 2, 28)), ("b", None, None), (None, -3, dt.date(1999, 12, 31))], TYPED)
    assert_df_equality(schemas.conform(df, TYPED, strict=True), expected, ignore_row_order=True, ignore_nullable=True)


def test_strict_conform_refuses_narrowing_numbers_that_overflow(spark):
    longs = spark.createDataFrame([(1, 5), (2, 3_000_000_000)], "id long, n long")
    target = struct(("id", T.LongType()), ("n", T.IntegerType()))
    with pytest.raises(schemas.LossyCastError, match=r"column `n`: value '3000000000' \(bigint\) overflows int"):
        schemas.conform(longs, target, strict=True)
    assert schemas.conform(longs.where("id = 1"), target, strict=True).collect()[0]["n"] == 5  # fits: fine
    doubles = spark.createDataFrame([(1, 1.5e40)], "id long, x double")
    with pytest.raises(schemas.LossyCastError, match=r"column `x`: value '1.5E40' \(double\) overflows float"):
        schemas.conform(doubles, struct(("id", T.LongType()), ("x", T.FloatType())), strict=True)


def test_strict_conform_refuses_an_array_element_it_cannot_cast(spark):
    df = spark.createDataFrame([("a", ["1", "2"]), ("b", ["3", "x"]), ("c", None)], "id string, ids array<string>")
    target = struct(("id", T.StringType()), ("ids", T.ArrayType(T.IntegerType())))
    with pytest.raises(schemas.LossyCastError, match=r"column `ids`: value '\[3, x\]'.*element.*int"):
        schemas.conform(df, target, strict=True)
    assert schemas.conform(df.where("id != 'b'"), target, strict=True).where("id = 'a'").first()["ids"] == [1, 2]


def _jobs_run(spark, group: str, fn) -> int:
    sc = spark.sparkContext
    sc.setJobGroup(group, group)
    try:
        fn()
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    return len(sc.statusTracker().getJobIdsForGroup(group))


def test_strict_conform_runs_no_spark_job_when_the_input_is_already_typed(spark):
    typed = spark.createDataFrame([("a", 1, dt.date(2021, 1, 1))], TYPED)
    widening = spark.createDataFrame([("a", 1)], "id string, n int")  # int -> long cannot lose anything
    assert _jobs_run(spark, "strict-typed", lambda: schemas.conform(typed, TYPED, strict=True)) == 0
    assert _jobs_run(spark, "strict-widening", lambda: schemas.conform(
        widening, struct(("id", T.StringType()), ("n", T.LongType())), strict=True)) == 0
    text = spark.createDataFrame([("a", "1", "2021-01-01")], TEXT)
    assert _jobs_run(spark, "strict-text", lambda: schemas.conform(text, TYPED, strict=True)) >= 1  # checked


def test_conform_missing_columns(spark):
    df = spark.createDataFrame([("a",)], "id string")
    assert schemas.conform(df, TYPED).columns == ["id", "n", "day"]  # nullable columns: null
    required = T.StructType([T.StructField("id", T.StringType(), True), T.StructField("n", T.IntegerType(), False)])
    with pytest.raises(ValueError, match="`n` required by the contract is missing"):
        schemas.conform(df, required, strict=True)


def test_nullable_loosens_only_the_named_columns_of_the_one_contract():
    loose = schemas.nullable(schemas.PREDICTIONS_TOPICS, ["user_id", "created_at"])
    assert loose.fieldNames() == schemas.PREDICTIONS_TOPICS.fieldNames()
    assert [f.dataType for f in loose.fields] == [f.dataType for f in schemas.PREDICTIONS_TOPICS.fields]
    assert {f.name for f in loose.fields if f.nullable} == {
        f.name for f in schemas.PREDICTIONS_TOPICS.fields if f.nullable} | {"created_at"}
    assert all(f.nullable for f in schemas.nullable(schemas.PREDICTIONS_TOPICS).fields)
    with pytest.raises(ValueError, match="no column.*created"):
        schemas.nullable(schemas.PREDICTIONS_TOPICS, ["created"])


def test_partition_columns_are_non_null_columns_of_every_contract_they_partition():
    assert set(schemas.PARTITIONS) <= set(schemas.CONTRACTS)
    for name, columns in schemas.PARTITIONS.items():
        contract = schemas.CONTRACTS[name]
        for column in columns:
            assert column in contract.fieldNames(), (name, column)
            assert not contract[column].nullable, (name, column)  # a partition value is never null


def test_derived_contracts_reuse_the_types_of_their_sources():
    wh = schemas.WAREHOUSE_PREDICTIONS
    for name in ("source", "doc_id", "user_id", "created_at", "label", "cluster_ids", "model_version", "month"):
        assert wh[name].dataType == schemas.PREDICTIONS_TOPICS[name].dataType, name
    assert not wh["created_at"].nullable and wh["label"].nullable  # keys stay NOT NULL, attributes nullable
    for name in schemas.USER_SUBJECTS.fieldNames():
        assert schemas.WAREHOUSE_USER_SUBJECTS[name] == schemas.USER_SUBJECTS[name], name
    for output in ("USER_SUBJECTS", "USER_SUBJECTS_HISTORY", "USER_SUBJECTS_PER_COMMENT"):
        fields = getattr(schemas, output).fields
        assert [f for f in fields if f.name in {r.name for r in schemas.USER_MODE_RESULT}] == schemas.USER_MODE_RESULT
