"""load_warehouse against a real PostgreSQL server started here (Debian's postgresql package, on loopback, in a
temp folder, as the `postgres` user when we are root): load, load again (no duplicates, the loaded slice replaced
whole), the warehouse equal to the lake after changes to it and partial reloads, a failure half-way (the table is
unchanged), rejects and manifest, the sweeper of stale staging tables, and credentials that never leak."""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from chispa import assert_df_equality
from pyspark.sql import functions as F

from vocspark import config, io, schemas, warehouse
from vocspark.jobs import load_warehouse as job

pytestmark = pytest.mark.integration
UTC = dt.timezone.utc
PASSWORD = "Wh-s3cr3t-Pa55-7f1c"  # a throwaway password for the throwaway server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster on 127.0.0.1:<free port> with role/database `voc`; stopped at the end."""
    bindir = _pg_bin()
    if bindir is None:  # only without Debian's postgresql package (make system-deps installs it)
        pytest.skip("PostgreSQL server binaries not installed (/usr/lib/postgresql/*/bin): run `make system-deps`")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="vocspark-pg-"))
    if as_postgres:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()

    def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([*as_postgres, *cmd], check=True, capture_output=True, text=True, timeout=120, **kw)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-l", str(root / "server.log"), "start")
    try:
        psql = [str(bindir / "psql"), "-h", str(root), "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
        run(*psql, "-c", f"CREATE ROLE voc LOGIN PASSWORD '{PASSWORD}'")
        run(*psql, "-c", "CREATE DATABASE voc OWNER voc")
        yield {"url": f"jdbc:postgresql://127.0.0.1:{port}/voc", "user": "voc"}
    finally:
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def _small_plans(small_plans):
    """Every test here runs with the shared ``small_plans`` settings (tests/conftest.py)."""


@pytest.fixture
def cfg(postgres, tmp_base, monkeypatch):
    monkeypatch.setenv("VOCSPARK_WAREHOUSE_PASSWORD", PASSWORD)
    return config.resolve(
        {"profile": "local", "base_uri": str(tmp_base), "sources": {},
         "warehouse": {"url": postgres["url"], "user": postgres["user"], "write_partitions": 1,
                       "tables": {"predictions": f"p_{tmp_base.parent.name[-8:].replace('-', '_')}",
                                  "user_subjects": f"u_{tmp_base.parent.name[-8:].replace('-', '_')}"}}},
        root=tmp_base,
    )


def at(y, m, d, h=12) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=UTC)


def prediction(doc_id, user, when, subject, version="v1", source="instagram", clusters=(3, 7)):
    return (source, doc_id, user, when, subject or "unassigned", subject, "complaint", "reclamação",
            list(clusters), "instagram", version, when.strftime("%Y-%m") if when else "2021-06")


def write_inputs(spark, base: Path, predictions, subjects, texts) -> None:
    # the contracts with every field nullable, so the tests can plant nulls where the job must reject them
    io.write_partitioned(spark.createDataFrame(predictions, schemas.nullable(schemas.PREDICTIONS_TOPICS)),
                         f"{base}/predictions/topics", schemas.PARTITIONS["predictions_topics"])
    io.write_partitioned(spark.createDataFrame(subjects, schemas.nullable(schemas.USER_SUBJECTS)),
                         f"{base}/user_subjects", schemas.PARTITIONS["user_subjects"])
    docs = [{"source": s, "doc_id": d, "user_id": "u", "created_at": at(2021, 6, 1), "month": m, "lang": "pt", "text": t}
            for s, d, m, t in texts]
    docs_df = schemas.conform(spark.createDataFrame(docs, "source string, doc_id string, user_id string, "
                                                          "created_at timestamp, month string, lang string, text string"),
                              schemas.DOCUMENTS)
    io.write_partitioned(docs_df, f"{base}/documents", schemas.PARTITIONS["documents"])


PREDICTIONS_1 = [
    prediction("a", "ana", at(2021, 6, 5), "entrega"),
    prediction("b", "bia", at(2021, 6, 6, 23), "reembolso"),
    prediction("c", "cid", at(2021, 7, 1, 0), None),  # unassigned, comment_date at the UTC day boundary
    prediction("d", None, at(2021, 7, 2), "entrega"),  # no user: still loaded (user_id is not a key)
    prediction(None, "eva", at(2021, 7, 3), "entrega"),  # missing_key -> rejected
    prediction("e", "eva", None, "entrega"),  # missing_time -> rejected (month partition 2021-06)
]
SUBJECTS_1 = [
    ("ana", "entrega", 2, 3, 2, dt.date(2021, 7, 1)),
    ("bia", None, None, 1, 0, dt.date(2021, 7, 1)),
    (None, "entrega", 1, 1, 1, dt.date(2021, 7, 1)),  # missing_key -> rejected
    ("old", "entrega", 1, 1, 1, dt.date(2021, 6, 30)),  # another day: not loaded for --as-of 2021-07-01
]
TEXTS = [("instagram", "a", "2021-06", "Quero meu dinheiro de volta!"), ("instagram", "c", "2021-07", "Olá 😀")]


def args(**kw) -> argparse.Namespace:
    base = {"tables": "predictions,user_subjects", "predictions": "topics", "months": None, "last_days": None,
            "as_of": "2021-07-01", "run_id": "wh1"}
    return argparse.Namespace(**{**base, **kw})


def dump(spark, cfg, table: str, order: str) -> list[tuple]:
    conn = warehouse.connection(cfg)
    with warehouse.jdbc(spark, conn) as jconn:
        return warehouse.query(jconn, f"SELECT * FROM public.{cfg['warehouse']['tables'][table]} ORDER BY {order}")


# information_schema's name of each SQL type the DDL derivation emits (PostgreSQL)
PG_TYPES = {"VARCHAR": "character varying", "CHAR": "character", "TIMESTAMP": "timestamp without time zone",
            "DATE": "date", "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "BOOLEAN": "boolean",
            "REAL": "real", "DOUBLE PRECISION": "double precision"}


def expected_columns(table: warehouse.Table) -> list[tuple]:
    """(name, information_schema data_type, character length or None, is_nullable) of the derived DDL."""
    out = []
    for field, (name, sql) in zip(table.schema.fields, table.columns):
        base, _, length = sql.replace(" NOT NULL", "").partition("(")
        is_nullable = "YES" if field.nullable else "NO"
        out.append((name, PG_TYPES[base], length.rstrip(")") or None, is_nullable))
    return out


def live_columns(spark, cfg, table: str) -> tuple[list[tuple], list[str]]:
    """The live table's columns as information_schema has them (in column order) and its primary key columns."""
    target = cfg["warehouse"]["tables"][table]
    with warehouse.jdbc(spark, warehouse.connection(cfg)) as jconn:
        columns = warehouse.query(jconn, (
            "SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns "
            f"WHERE table_schema = 'public' AND table_name = '{target}' ORDER BY ordinal_position"))
        keys = warehouse.query(jconn, (
            "SELECT k.column_name FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k "
            "ON c.constraint_name = k.constraint_name AND c.table_schema = k.table_schema "
            f"WHERE c.table_schema = 'public' AND c.table_name = '{target}' AND c.constraint_type = 'PRIMARY KEY' "
            "ORDER BY k.ordinal_position"))
    return [tuple(r) for r in columns], [r[0] for r in keys]


def assert_live_tables_match_the_contracts(spark, cfg) -> None:
    """The tables the load created hold exactly the columns, types and nullability of the DDL derived from the
    contracts (schemas.WAREHOUSE_*), in contract order, with the keys as primary key."""
    for name, table in warehouse.TABLES.items():
        columns, keys = live_columns(spark, cfg, name)
        assert columns == expected_columns(table), name
        assert keys == list(table.keys), name
        assert [c[0] for c in columns] == table.schema.fieldNames()


def staging_tables(spark, cfg) -> list[tuple]:
    with warehouse.jdbc(spark, warehouse.connection(cfg)) as jconn:
        return warehouse.query(jconn, "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%_stg_%'")


def test_load_then_reload_replaces_the_slice_and_a_failed_merge_leaves_the_table_unchanged(
        spark, cfg, tmp_base, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger="vocspark")  # py4j stays at WARNING (it would echo every call)
    write_inputs(spark, tmp_base, PREDICTIONS_1, SUBJECTS_1, TEXTS)
    m1 = job.run(spark, cfg, args(run_id="wh1"))
    assert (m1.read, m1.written, m1.rejected, m1.filtered) == (9, 6, {"missing_key": 2, "missing_time": 1}, {})
    assert m1.extra["warehouse"]["predictions"]["staged"] == 4
    assert_live_tables_match_the_contracts(spark, cfg)
    assert m1.extra["warehouse"]["user_subjects"] == {**m1.extra["warehouse"]["user_subjects"],
                                                     "staged": 2, "deleted": 0, "inserted": 2}

    rows = dump(spark, cfg, "predictions", "doc_id")
    cols = [c for c, _ in warehouse.PREDICTIONS.columns]
    by_doc = {r[cols.index("doc_id")]: dict(zip(cols, r)) for r in rows}
    assert sorted(by_doc) == ["a", "b", "c", "d"]
    assert by_doc["a"]["text"] == "Quero meu dinheiro de volta!" and by_doc["c"]["text"] == "Olá 😀"
    assert by_doc["b"]["text"] is None  # no document: loaded without text
    assert by_doc["c"]["comment_date"] == "2021-07-01" and by_doc["b"]["comment_date"] == "2021-06-06"
    assert by_doc["c"]["subject"] is None and by_doc["c"]["label"] == "unassigned"
    assert by_doc["a"]["cluster_ids"] == "3,7" and by_doc["a"]["run_id"] == "wh1"
    assert by_doc["b"]["created_at"].startswith("2021-06-06 23:00:00")  # UTC kept as is
    assert by_doc["d"]["user_id"] is None
    subjects = dump(spark, cfg, "user_subjects", "user_id")
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in subjects] == [
        ("ana", "2021-07-01", "entrega", "2", "3", "2"), ("bia", "2021-07-01", None, None, "1", "0")]

    # rejected rows are kept with the row as JSON; the manifest reconciles and names no credential
    rejected = spark.read.parquet(f"{tmp_base}/rejected/job=load_warehouse")
    assert sorted((r["source"], r["reason"]) for r in rejected.collect()) == [
        ("predictions", "missing_key"), ("predictions", "missing_time"), ("user_subjects", "missing_key")]
    manifest_text = (tmp_base / "manifests" / "load_warehouse" / "wh1.json").read_text()
    manifest = json.loads(manifest_text)
    assert manifest["reconciled"] is True and manifest["counts"]["written"] == 6
    assert manifest["outputs"]["warehouse.predictions"].endswith(f"#public.{cfg['warehouse']['tables']['predictions']}")

    # load again: b's subject changed, a duplicate of a from a newer model version, f is new
    predictions_2 = [
        prediction("a", "ana", at(2021, 6, 5), "entrega"),
        prediction("a", "ana", at(2021, 6, 5), "atendimento", version="v2"),  # duplicate key: v2 wins
        prediction("b", "bia", at(2021, 6, 6, 23), "atraso"),
        prediction("f", "fia", at(2021, 6, 9), "entrega"),
    ]
    shutil.rmtree(tmp_base / "predictions")
    subjects_2 = [("ana", "atendimento", 3, 4, 3, dt.date(2021, 7, 1))]
    shutil.rmtree(tmp_base / "user_subjects")
    write_inputs(spark, tmp_base, predictions_2, subjects_2, [])
    m2 = job.run(spark, cfg, args(run_id="wh2", months="2021-06"))
    assert (m2.read, m2.written, m2.filtered) == (5, 4, {"duplicate_key": 1})
    assert m2.extra["warehouse"]["predictions"]["deleted"] == 2  # a and b replaced
    rows = dump(spark, cfg, "predictions", "doc_id")
    by_doc = {r[cols.index("doc_id")]: dict(zip(cols, r)) for r in rows}
    assert sorted(by_doc) == ["a", "b", "c", "d", "f"]  # no duplicates; c, d (2021-07) untouched
    assert (by_doc["a"]["subject"], by_doc["a"]["model_version"], by_doc["a"]["run_id"]) == ("atendimento", "v2", "wh2")
    assert by_doc["b"]["subject"] == "atraso" and by_doc["c"]["run_id"] == "wh1"
    # the day 2021-07-01 is replaced whole: bia, no longer in the lake's day, leaves the warehouse's (upsert kept her)
    assert [(r[0], r[2]) for r in dump(spark, cfg, "user_subjects", "user_id")] == [("ana", "atendimento")]
    assert m2.extra["warehouse"]["user_subjects"]["slice"] == {"as_of": ["2021-07-01"]}
    assert (m2.extra["warehouse"]["user_subjects"]["deleted"], m2.extra["warehouse"]["user_subjects"]["inserted"]) == (2, 1)
    assert m2.extra["warehouse"]["predictions"]["slice"] == {"month": ["2021-06"]}

    # a failure half-way through the merge (after the DELETE, before the INSERT): nothing changes
    before_p, before_u = dump(spark, cfg, "predictions", "doc_id"), dump(spark, cfg, "user_subjects", "user_id")
    real = warehouse.merge_statements
    monkeypatch.setattr(warehouse, "merge_statements",
                        lambda *a: [real(*a)[0], "SELECT 1/0", real(*a)[1]])
    shutil.rmtree(tmp_base / "predictions")
    write_inputs(spark, tmp_base, [prediction("a", "ana", at(2021, 6, 5), "x"), prediction("g", "g", at(2021, 6, 7), "x")],
                 [("ana", "x", 1, 1, 1, dt.date(2021, 7, 1))], [])
    with pytest.raises(warehouse.WarehouseError, match="table unchanged.*division by zero"):
        job.run(spark, cfg, args(run_id="wh3", months="2021-06"))
    assert dump(spark, cfg, "predictions", "doc_id") == before_p
    assert dump(spark, cfg, "user_subjects", "user_id") == before_u
    assert staging_tables(spark, cfg) == []  # the staging table is dropped after a failure too

    assert PASSWORD not in caplog.text and PASSWORD not in manifest_text


# --------------------------------------------------------------------------- the warehouse mirrors the lake
PREDICTION_COLUMNS = [c for c in warehouse.PREDICTIONS.column_names if c not in ("run_id", "loaded_at")]
SUBJECT_COLUMNS = [c for c in warehouse.USER_SUBJECTS.column_names if c not in ("run_id", "loaded_at")]


def warehouse_df(spark, cfg, table: str):
    """The live warehouse table as a DataFrame (Spark's JDBC reader: SQL types back to Spark types)."""
    conn = warehouse.connection(cfg)
    return (spark.read.format("jdbc")
            .options(url=conn.url, driver=conn.driver, user=conn.user, password=conn.password,
                     dbtable=conn.qualified(cfg["warehouse"]["tables"][table]))
            .load())


def lake_predictions_df(spark, base: Path, months: list[str]):
    """What the warehouse must hold for ``months``: the lake's predictions with the documents' text, as stored."""
    predictions_df = io.read_dataset(spark, f"{base}/predictions/topics", schemas.PREDICTIONS_TOPICS)
    texts_df = io.read_dataset(spark, f"{base}/documents", schemas.DOCUMENTS).select("source", "doc_id", "text")
    stored = {"comment_date": F.to_date("created_at"),
              "cluster_ids": F.array_join(F.col("cluster_ids").cast("array<string>"), ",")}
    return (predictions_df.where(F.col("month").isin(months))
            .join(texts_df, on=["source", "doc_id"], how="left")
            .select(*[(stored[c] if c in stored else F.col(c)).alias(c) for c in PREDICTION_COLUMNS]))


def assert_warehouse_equals_lake(spark, cfg, base: Path, months: list[str], days: list[dt.date]) -> None:
    """Set equality over every column the lake has (all but run_id and loaded_at), per loaded month and day."""
    live_p = warehouse_df(spark, cfg, "predictions").where(F.col("month").isin(months)).select(*PREDICTION_COLUMNS)
    assert_df_equality(live_p, lake_predictions_df(spark, base, months), ignore_row_order=True, ignore_nullable=True,
                       ignore_metadata=True)  # the JDBC reader adds column metadata
    lake_u = (io.read_dataset(spark, f"{base}/user_subjects", schemas.USER_SUBJECTS)
              .where(F.col("as_of").isin(days)).select(*SUBJECT_COLUMNS))
    live_u = warehouse_df(spark, cfg, "user_subjects").where(F.col("as_of").isin(days)).select(*SUBJECT_COLUMNS)
    assert_df_equality(live_u, lake_u, ignore_row_order=True, ignore_nullable=True,
                       ignore_metadata=True)  # the JDBC reader adds column metadata


def write_lake(spark, base: Path, predictions=(), subjects=(), texts=()) -> None:
    """Write the given rows the way the jobs do: each month / day present is replaced whole, others untouched."""
    if predictions:
        io.write_partitioned(spark.createDataFrame(list(predictions), schemas.PREDICTIONS_TOPICS),
                             f"{base}/predictions/topics", schemas.PARTITIONS["predictions_topics"])
    if subjects:
        io.write_partitioned(spark.createDataFrame(list(subjects), schemas.USER_SUBJECTS),
                             f"{base}/user_subjects", schemas.PARTITIONS["user_subjects"])
    if texts:
        docs = [{"source": "instagram", "doc_id": d, "user_id": "u", "created_at": at(int(m[:4]), int(m[5:]), 1),
                 "month": m, "lang": "pt", "text": t} for d, m, t in texts]
        docs_df = schemas.conform(spark.createDataFrame(docs, "source string, doc_id string, user_id string, "
                                                              "created_at timestamp, month string, lang string, text string"),
                                  schemas.DOCUMENTS)
        io.write_partitioned(docs_df, f"{base}/documents", schemas.PARTITIONS["documents"])


def create_tables(spark, cfg, names: list[str]) -> None:
    with warehouse.jdbc(spark, warehouse.connection(cfg)) as jconn:
        for name in names:
            warehouse.execute(jconn, f"CREATE TABLE public.{name} (x INTEGER)")


JUNE, JULY = "2021-06", "2021-07"
D1, D2 = dt.date(2021, 7, 1), dt.date(2021, 7, 2)


def test_the_warehouse_equals_the_lake_after_the_lake_changes_and_one_month_and_one_day_are_reloaded(
        spark, cfg, tmp_base, caplog):
    caplog.set_level(logging.DEBUG, logger="vocspark")
    write_lake(spark, tmp_base,
               [prediction("a1", "ana", at(2021, 6, 5), "entrega"), prediction("a2", "bia", at(2021, 6, 6), "reembolso"),
                prediction("a3", "cid", at(2021, 6, 30, 23), None), prediction("b1", "ana", at(2021, 7, 1, 0), "entrega"),
                prediction("b2", None, at(2021, 7, 2), "atraso")],
               [("ana", "entrega", 2, 3, 2, D1), ("bia", "reembolso", 1, 1, 1, D1), ("cid", None, None, 1, 0, D1),
                ("ana", "entrega", 2, 2, 2, D2), ("dan", "atraso", 1, 1, 1, D2)],
               [("a1", JUNE, "Cadê meu pedido?"), ("a2", JUNE, "Quero reembolso"), ("b1", JULY, "Olá 😀")])
    # a load killed long ago left its staging table: the next load of that table sweeps it
    target_p = cfg["warehouse"]["tables"]["predictions"]
    killed = warehouse.staging_name(target_p, "20200101T000000Z-k1ll3d")
    create_tables(spark, cfg, [killed])
    m1 = job.run(spark, cfg, args(run_id="mirror1", months=f"{JUNE},{JULY}", as_of="2021-07-01"))
    assert m1.extra["warehouse"]["predictions"]["swept"] == [f"public.{killed}"]
    assert (killed,) not in staging_tables(spark, cfg)
    job.run(spark, cfg, args(run_id="mirror2", tables="user_subjects", as_of="2021-07-02"))
    assert_warehouse_equals_lake(spark, cfg, tmp_base, [JUNE, JULY], [D1, D2])
    july_before = dump(spark, cfg, "predictions", "doc_id")
    july_before = [r for r in july_before if r[PREDICTION_COLUMNS.index("month")] == JULY]
    d2_before = [r for r in dump(spark, cfg, "user_subjects", "user_id") if r[1] == "2021-07-02"]
    assert len(july_before) == 2 and len(d2_before) == 2

    # the lake changes: June re-deduplicated (a2 gone) and re-scored (a1 by model v2), a July document added,
    # the day D1 recomputed (bia dropped out, cid changed)
    write_lake(spark, tmp_base,
               [prediction("a1", "ana", at(2021, 6, 5), "atendimento", version="v2"),
                prediction("a3", "cid", at(2021, 6, 30, 23), None, version="v2"),
                prediction("b1", "ana", at(2021, 7, 1, 0), "entrega"), prediction("b2", None, at(2021, 7, 2), "atraso"),
                prediction("b3", "eva", at(2021, 7, 3), "entrega")],
               [("ana", "atendimento", 2, 3, 2, D1), ("cid", "entrega", 1, 2, 1, D1)],
               [("a1", JUNE, "Cadê meu pedido?"), ("a3", JUNE, "Sem texto não"), ("b1", JULY, "Olá 😀")])
    m3 = job.run(spark, cfg, args(run_id="mirror3", months=JUNE, as_of="2021-07-01"))
    p3, u3 = m3.extra["warehouse"]["predictions"], m3.extra["warehouse"]["user_subjects"]
    assert (p3["slice"], p3["deleted"], p3["inserted"]) == ({"month": [JUNE]}, 3, 2)
    assert (u3["slice"], u3["deleted"], u3["inserted"]) == ({"as_of": ["2021-07-01"]}, 3, 2)
    assert (m3.read, m3.written, m3.rejected, m3.filtered) == (4, 4, {}, {})
    assert_warehouse_equals_lake(spark, cfg, tmp_base, [JUNE], [D1])  # a2 and bia are gone, a1 and cid changed
    # July and D2 were not loaded: exactly as before (b3 not there yet)
    assert [r for r in dump(spark, cfg, "predictions", "doc_id") if r[PREDICTION_COLUMNS.index("month")] == JULY] == july_before
    assert [r for r in dump(spark, cfg, "user_subjects", "user_id") if r[1] == "2021-07-02"] == d2_before
    assert {r[1] for r in dump(spark, cfg, "predictions", "doc_id")} == {"a1", "a3", "b1", "b2"}

    # a load without --months replaces every month present in the lake: now July too
    m4 = job.run(spark, cfg, args(run_id="mirror4", tables="predictions"))
    assert m4.extra["warehouse"]["predictions"]["slice"] == {"month": [JUNE, JULY]}
    assert_warehouse_equals_lake(spark, cfg, tmp_base, [JUNE, JULY], [D1, D2])
    assert staging_tables(spark, cfg) == []
    manifests = "".join(p.read_text() for p in (tmp_base / "manifests" / "load_warehouse").glob("*.json"))
    assert PASSWORD not in caplog.text and PASSWORD not in manifests


def test_a_key_loaded_into_another_month_moves_there(spark, cfg, tmp_base):
    """The primary key stays unique across slices: the slice loaded last holds the key (an upsert would fail)."""
    write_lake(spark, tmp_base, [prediction("x", "ana", at(2021, 6, 5), "entrega")], [("ana", "entrega", 1, 1, 1, D1)])
    job.run(spark, cfg, args(run_id="move1"))
    shutil.rmtree(tmp_base / "predictions")
    write_lake(spark, tmp_base, [prediction("x", "ana", at(2021, 7, 5), "atraso")])
    m2 = job.run(spark, cfg, args(run_id="move2", months=JULY, tables="predictions"))
    assert (m2.extra["warehouse"]["predictions"]["deleted"], m2.extra["warehouse"]["predictions"]["inserted"]) == (1, 1)
    rows = dump(spark, cfg, "predictions", "doc_id")
    assert [(r[1], r[PREDICTION_COLUMNS.index("month")], r[PREDICTION_COLUMNS.index("subject")]) for r in rows] == [
        ("x", JULY, "atraso")]


def test_the_sweeper_drops_old_staging_tables_of_the_targets_only(spark, cfg, tmp_base, caplog):
    caplog.set_level(logging.DEBUG, logger="vocspark")
    now = dt.datetime.now(UTC)
    target_p, target_u = cfg["warehouse"]["tables"]["predictions"], cfg["warehouse"]["tables"]["user_subjects"]
    old_p = warehouse.staging_name(target_p, io.new_run_id(now - dt.timedelta(hours=30)))
    old_u = warehouse.staging_name(target_u, io.new_run_id(now - dt.timedelta(days=400)))
    fresh_p = warehouse.staging_name(target_p, io.new_run_id(now - dt.timedelta(hours=1)))
    current = "20200101T000000Z-curr3n"  # the current run's own table is never dropped, however old
    keep = [fresh_p, warehouse.staging_name(target_p, current), f"{target_p}_stg_wh7", f"{target_p}_stg_garbage",
            warehouse.staging_name("other_table", "20200101T000000Z-0th3r1")]
    create_tables(spark, cfg, [old_p, old_u, *keep])
    m = job.run(spark, cfg, args(run_id=current, sweep_only=True))
    assert m.extra["warehouse"] == {"predictions": {"swept": [f"public.{old_p}"]},
                                    "user_subjects": {"swept": [f"public.{old_u}"]}}
    assert sorted(r[0] for r in staging_tables(spark, cfg)) == sorted(keep)
    assert (m.read, m.written) == (0, 0)  # nothing read: no input needed (there is none here)
    assert not (tmp_base / "predictions").exists()
    # another run: the first run's table is now just an old one
    m2 = job.run(spark, cfg, args(run_id="sweep2", sweep_only=True))
    assert m2.extra["warehouse"]["predictions"]["swept"] == [f"public.{keep[1]}"]
    assert m2.extra["warehouse"]["user_subjects"]["swept"] == []
    with warehouse.jdbc(spark, warehouse.connection(cfg)) as jconn:  # leave no table to the other tests
        for name in [keep[0], *keep[2:]]:
            warehouse.execute(jconn, f"DROP TABLE public.{name}")
    assert PASSWORD not in caplog.text


def test_wrong_password_and_missing_secret_fail_without_leaking(spark, cfg, tmp_base, monkeypatch):
    write_inputs(spark, tmp_base, PREDICTIONS_1[:1], SUBJECTS_1[:1], [])
    wrong = "Wrong-Pa55-" + PASSWORD[::-1]
    monkeypatch.setenv("VOCSPARK_WAREHOUSE_PASSWORD", wrong)
    with pytest.raises(warehouse.WarehouseError) as err:
        job.run(spark, cfg, args(run_id="bad"))
    assert "password authentication failed" in str(err.value) and wrong not in str(err.value)
    assert wrong not in repr(warehouse.connection(cfg))
    monkeypatch.delenv("VOCSPARK_WAREHOUSE_PASSWORD")
    with pytest.raises(warehouse.WarehouseError, match=r"\$VOCSPARK_WAREHOUSE_PASSWORD"):
        job.run(spark, cfg, args(run_id="nopw"))
    # the run that reached the warehouse left a failed run's manifest (JobRun), without the password
    manifests = tmp_base / "manifests" / "load_warehouse"
    assert sorted(p.name for p in manifests.glob("*.json")) == ["bad.json"]  # nopw failed before reading anything
    bad = json.loads((manifests / "bad.json").read_text())
    assert bad["extra"]["status"] == "failed" and "password authentication failed" in bad["extra"]["error"]
    assert wrong not in (manifests / "bad.json").read_text()


def test_a_failing_load_against_a_bad_host_leaks_the_password_nowhere(spark, tmp_base, monkeypatch, caplog, capfd):
    """The password from $VOCSPARK_WAREHOUSE_PASSWORD, a load that cannot connect: the error, the failed run's
    manifest, the captured log and stdout/stderr hold no trace of it (issue 13, secrets)."""
    write_inputs(spark, tmp_base, PREDICTIONS_1[:1], SUBJECTS_1[:1], [])
    monkeypatch.setenv("VOCSPARK_WAREHOUSE_PASSWORD", PASSWORD)
    bad_cfg = config.resolve(
        {"profile": "local", "base_uri": str(tmp_base), "sources": {},
         "warehouse": {"url": f"jdbc:postgresql://127.0.0.1:{_free_port()}/voc?connectTimeout=5&loginTimeout=5",
                       "user": "voc", "write_partitions": 1}},
        root=tmp_base,
    )
    # INFO: vocspark's own lines (at DEBUG, py4j logs every gateway command, JDBC properties included)
    caplog.set_level(logging.INFO)
    with pytest.raises(warehouse.WarehouseError) as err:
        job.run(spark, bad_cfg, args(run_id="badhost"))
    assert "127.0.0.1" in str(err.value) and PASSWORD not in str(err.value) and PASSWORD not in repr(err.value)
    manifests = list((tmp_base / "manifests" / "load_warehouse").glob("*.json"))
    assert [m.name for m in manifests] == ["badhost.json"]
    manifest = json.loads(manifests[0].read_text())
    assert manifest["extra"]["status"] == "failed" and "127.0.0.1" in manifest["extra"]["error"]
    outputs = [manifests[0].read_text(), caplog.text, *capfd.readouterr()]
    assert caplog.text  # the run logged something
    for text in outputs:
        assert PASSWORD not in text
    leaked = [str(f) for f in tmp_base.rglob("*") if f.is_file() and PASSWORD.encode() in f.read_bytes()]
    assert leaked == []


def test_missing_input_is_named(spark, cfg, tmp_base):
    with pytest.raises(io.MissingInputError, match=rf"predictions\.topics.*{tmp_base}/predictions/topics"):
        job.run(spark, cfg, args(run_id="missing", tables="predictions"))


# --------------------------------------------------------------------------- settings and secrets (no server)
def _wh_cfg(**warehouse_keys):
    return config.resolve({"profile": "local", "base_uri": "/tmp", "sources": {},
                           "warehouse": {"url": "jdbc:postgresql://127.0.0.1:5439/voc", **warehouse_keys}})


def test_password_from_secrets_manager(monkeypatch):
    moto = pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("VOCSPARK_WAREHOUSE_PASSWORD", raising=False)
    with moto.mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        sm.create_secret(Name="voc/wh", SecretString=json.dumps({"username": "loader", "password": PASSWORD}))
        sm.create_secret(Name="voc/broken", SecretString="not json " + PASSWORD)
        conn = warehouse.connection(_wh_cfg(secret_id="voc/wh"))
        assert (conn.user, conn.password) == ("loader", PASSWORD)
        assert PASSWORD not in repr(conn) and PASSWORD not in str(conn)
        assert warehouse.connection(_wh_cfg(secret_id="voc/wh", user="other")).user == "other"
        with pytest.raises(warehouse.WarehouseError, match=r"voc/missing.*ResourceNotFoundException"):
            warehouse.connection(_wh_cfg(secret_id="voc/missing"))
        with pytest.raises(warehouse.WarehouseError) as err:
            warehouse.connection(_wh_cfg(secret_id="voc/broken"))
        assert "not a JSON object" in str(err.value) and PASSWORD not in str(err.value)


def test_settings_fail_fast_naming_the_key(monkeypatch):
    monkeypatch.setenv("VOCSPARK_WAREHOUSE_PASSWORD", PASSWORD)
    monkeypatch.delenv("VOCSPARK_WAREHOUSE_USER", raising=False)
    with pytest.raises(warehouse.WarehouseError, match=r"warehouse\.user"):
        warehouse.connection(_wh_cfg())
    monkeypatch.setenv("VOCSPARK_WAREHOUSE_USER", "loader")
    assert warehouse.connection(_wh_cfg()).user == "loader"
    with pytest.raises(warehouse.WarehouseError, match=r"warehouse\.tables\.predictions"):
        warehouse.connection(_wh_cfg(tables={"predictions": "x; DROP TABLE y"}))
    with pytest.raises(warehouse.WarehouseError, match=r"warehouse\.url"):
        warehouse.connection(config.resolve({"profile": "local", "base_uri": "/tmp", "sources": {}}))
    with pytest.raises(config.ConfigError, match=r"warehouse\.url.*without a password"):
        _wh_cfg(url="jdbc:postgresql://h/voc?password=" + PASSWORD)


def test_redact_hides_secrets_and_password_pairs():
    text = f"FATAL: bad login user=voc password={PASSWORD}; also '{PASSWORD}' and password: hunter2"
    out = warehouse.redact(text, [PASSWORD])
    assert PASSWORD not in out and "hunter2" not in out and "user=voc" in out


def test_merge_statements_delete_matching_keys_then_insert():
    delete, insert = warehouse.merge_statements(warehouse.USER_SUBJECTS, "public.t", "public.s")
    assert delete == "DELETE FROM public.t USING public.s WHERE public.t.user_id = public.s.user_id AND public.t.as_of = public.s.as_of"
    assert insert.startswith("INSERT INTO public.t (user_id, as_of, moda_30d,") and insert.endswith("FROM public.s")
