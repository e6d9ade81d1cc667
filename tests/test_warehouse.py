"""warehouse DDL derived from the contracts (no server; tests/integration/test_warehouse.py compares it with a live
PostgreSQL table): the SQL type map, NOT NULL from nullability, overrides, primary keys, nested columns as text."""
from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import types as T

from vocspark import schemas, warehouse

# What the warehouse tables were created with before the DDL was derived (typed by hand): existing tables keep
# working only if the derivation gives exactly this.
HAND_TYPED_PREDICTIONS = """CREATE TABLE IF NOT EXISTS public.p (
  source VARCHAR(64) NOT NULL,
  doc_id VARCHAR(128) NOT NULL,
  user_id VARCHAR(256),
  created_at TIMESTAMP NOT NULL,
  comment_date DATE NOT NULL,
  text VARCHAR(65535),
  label VARCHAR(256),
  subject VARCHAR(256),
  category VARCHAR(64),
  category_name VARCHAR(128),
  cluster_ids VARCHAR(4096),
  model VARCHAR(128),
  model_version VARCHAR(128),
  month CHAR(7) NOT NULL,
  run_id VARCHAR(64) NOT NULL,
  loaded_at TIMESTAMP NOT NULL,
  PRIMARY KEY (source, doc_id)
)"""
HAND_TYPED_USER_SUBJECTS = """CREATE TABLE IF NOT EXISTS public.u (
  user_id VARCHAR(256) NOT NULL,
  as_of DATE NOT NULL,
  moda_30d VARCHAR(256),
  moda_30d_count BIGINT,
  n_comments_30d BIGINT NOT NULL,
  n_assigned_30d BIGINT NOT NULL,
  run_id VARCHAR(64) NOT NULL,
  loaded_at TIMESTAMP NOT NULL,
  PRIMARY KEY (user_id, as_of)
)"""


def test_derived_ddl_equals_the_tables_already_in_the_warehouse():
    assert warehouse.PREDICTIONS.ddl("public.p") == HAND_TYPED_PREDICTIONS
    assert warehouse.USER_SUBJECTS.ddl("public.u") == HAND_TYPED_USER_SUBJECTS
    assert warehouse.PREDICTIONS.column_names == schemas.WAREHOUSE_PREDICTIONS.fieldNames()


def test_types_nullability_overrides_and_keys_come_from_the_contract():
    schema = T.StructType([
        T.StructField("id", T.LongType(), False),
        T.StructField("name", T.StringType(), True),
        T.StructField("code", T.StringType(), False),
        T.StructField("score", T.DoubleType(), True),
        T.StructField("amount", T.DecimalType(12, 2), True),
        T.StructField("ok", T.BooleanType(), True),
        T.StructField("n", T.IntegerType(), True),
        T.StructField("tags", T.ArrayType(T.StringType()), True),
        T.StructField("at", T.TimestampType(), False),
    ])
    table = warehouse.Table("t", schema, ("id",), {"code": "CHAR(3)"})
    assert dict(table.columns) == {
        "id": "BIGINT NOT NULL", "name": "VARCHAR(256)", "code": "CHAR(3) NOT NULL", "score": "DOUBLE PRECISION",
        "amount": "DECIMAL(12,2)", "ok": "BOOLEAN", "n": "INTEGER", "tags": "VARCHAR(4096)", "at": "TIMESTAMP NOT NULL",
    }
    assert table.ddl("s.t").endswith("at TIMESTAMP NOT NULL,\n  PRIMARY KEY (id)\n)")
    with pytest.raises(ValueError, match=r"no column \['nope'\]"):
        warehouse.Table("t", schema, ("nope",))
    with pytest.raises(ValueError, match=r"no column \['typo'\]"):
        warehouse.Table("t", schema, ("id",), {"typo": "TEXT"})
    with pytest.raises(ValueError, match="array_as"):
        warehouse.Table("t", schema, ("id",), array_as="super")
    with pytest.raises(warehouse.WarehouseError, match="binary"):
        warehouse.Table("b", T.StructType([T.StructField("blob", T.BinaryType())]), ("blob",)).columns


def test_rows_are_sent_with_arrays_as_text_and_a_lossy_cast_fails(spark):
    schema = T.StructType([T.StructField("id", T.StringType(), False), T.StructField("n", T.LongType(), True),
                           T.StructField("ids", T.ArrayType(T.IntegerType()), True)])
    df = spark.createDataFrame([("a", 1, [3, 7]), ("b", None, None), ("c", 2, [])], schema)
    rows = {r["id"]: (r["n"], r["ids"]) for r in warehouse.Table("t", schema, ("id",)).to_sql_rows(df).collect()}
    assert rows == {"a": (1, "3,7"), "b": (None, None), "c": (2, "")}
    as_json = warehouse.Table("t", schema, ("id",), array_as="json").to_sql_rows(df)
    assert {r["id"]: r["ids"] for r in as_json.collect()} == {"a": "[3,7]", "b": None, "c": "[]"}
    text_df = spark.createDataFrame([("a", "12", [3]), ("b", "twelve", [4])], "id string, n string, ids array<int>")
    with pytest.raises(schemas.LossyCastError, match=r"column `n`: value 'twelve'"):
        warehouse.Table("t", schema, ("id",)).to_sql_rows(text_df)


# --------------------------------------------------------------------------- slice replacement and the sweeper (no server)
def test_the_load_replaces_the_whole_slice_then_moved_keys_then_inserts():
    delete_month, delete_keys, insert = warehouse.merge_statements(
        warehouse.PREDICTIONS, "public.t", "public.s", ["2021-07", "2021-06", "2021-07"])
    assert delete_month == "DELETE FROM public.t WHERE month IN ('2021-06', '2021-07')"
    assert delete_keys == ("DELETE FROM public.t USING public.s WHERE public.t.source = public.s.source "
                           "AND public.t.doc_id = public.s.doc_id")
    assert insert.startswith("INSERT INTO public.t (source, doc_id,") and insert.endswith("FROM public.s")
    # the day is part of user_subjects' key: deleting the day already frees every staged key
    assert warehouse.merge_statements(warehouse.USER_SUBJECTS, "public.u", "public.s", [dt.date(2021, 7, 1)])[:-1] == [
        "DELETE FROM public.u WHERE as_of IN (DATE '2021-07-01')"]
    # no slice: the upsert by key
    assert len(warehouse.merge_statements(warehouse.USER_SUBJECTS, "public.u", "public.s")) == 2


@pytest.mark.parametrize("bad", ["2021-06'); DROP TABLE t; --", "", dt.datetime(2021, 7, 1), 202106, None])
def test_a_slice_value_never_carries_sql(bad):
    with pytest.raises(warehouse.WarehouseError, match="slice value"):
        warehouse.merge_statements(warehouse.PREDICTIONS, "public.t", "public.s", [bad])


def test_an_empty_slice_or_a_table_without_slice_column_is_refused():
    with pytest.raises(warehouse.WarehouseError, match="empty slice"):
        warehouse.merge_statements(warehouse.PREDICTIONS, "public.t", "public.s", [])
    schema = T.StructType([T.StructField("id", T.StringType(), False)])
    with pytest.raises(warehouse.WarehouseError, match="no slice column"):
        warehouse.merge_statements(warehouse.Table("t", schema, ("id",)), "public.t", "public.s", ["x"])
    with pytest.raises(ValueError, match=r"no column \['day'\]"):
        warehouse.Table("t", schema, ("id",), slice_column="day")


def test_staging_names_carry_the_run_start_and_stay_unique_and_short():
    name = warehouse.staging_name("voc_comment_topics", "20210701T120000Z-ab12cd")
    assert name == "voc_comment_topics_stg_20210701t120000zab12cd"
    assert warehouse.staging_created_at(name, "voc_comment_topics") == dt.datetime(2021, 7, 1, 12, tzinfo=dt.timezone.utc)
    assert warehouse.staging_created_at(name.upper(), "VOC_comment_topics") is not None  # the catalog folds case
    long_table = "t" * 40
    a, b = (warehouse.staging_name(long_table, f"20210701T120000Z-{s}") for s in ("aaaaaa", "bbbbbb"))
    assert len(a) == len(b) == 63 and a != b
    assert warehouse.staging_created_at(a, long_table).hour == 12  # the timestamp kept, then a hash
    assert warehouse.staging_created_at(warehouse.staging_name("t", "wh1"), "t") is None  # no timestamp
    for other in ("voc_comment_topics_stg_garbage", "voc_comment_topics_stg_20211399t990000zab",
                  "voc_comment_topics_x_stg_20210701t120000zab12cd", "voc_comment_topics_stg_20210701t120000z-x",
                  "other_stg_20210701t120000zab12cd"):
        assert warehouse.staging_created_at(other, "voc_comment_topics") is None, other


def test_the_sweeper_picks_only_old_parsable_tables_of_the_target_never_the_current_run():
    now = dt.datetime(2021, 7, 2, 12, tzinfo=dt.timezone.utc)
    t = "voc_user_subjects"
    names = [
        f"{t}_stg_20210701t110000zaaaaaa",  # 25 h old: stale
        f"{t}_stg_20210701t130000zbbbbbb",  # 23 h old: kept
        f"{t}_stg_20200101t000000zcccccc",  # current run (however old): kept
        f"{t}_stg_wh1", f"{t}_stg_garbage",  # no timestamp: kept
        "voc_comment_topics_stg_20200101t000000zdddddd",  # another target: kept
        f"{t}_stg_20210703t000000zeeeeee",  # in the future (clock skew): kept
        t,
    ]
    assert warehouse.stale_staging_tables(names, t, "20200101T000000Z-cccccc", 24, now) == [
        f"{t}_stg_20210701t110000zaaaaaa"]
    assert warehouse.stale_staging_tables(names, t, "20200101T000000Z-cccccc", 0.5, now) == [
        f"{t}_stg_20210701t110000zaaaaaa", f"{t}_stg_20210701t130000zbbbbbb"]
