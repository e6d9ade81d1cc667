"""warehouse DDL derived from the contracts (no server; tests/integration/test_warehouse.py compares it with a live
PostgreSQL table): the SQL type map, NOT NULL from nullability, overrides, primary keys, nested columns as text."""
from __future__ import annotations

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
