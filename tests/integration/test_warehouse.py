"""load_warehouse against a real PostgreSQL server started here (Debian's postgresql package, on loopback, in a
temp folder, as the `postgres` user when we are root): load, load again (no duplicates, changed rows replaced),
a failure half-way (the table is unchanged), rejects and manifest, and credentials that never leak."""
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


def test_load_then_reload_replaces_rows_and_a_failed_merge_leaves_the_table_unchanged(
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
    assert [(r[0], r[2]) for r in dump(spark, cfg, "user_subjects", "user_id")] == [("ana", "atendimento"), ("bia", None)]

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
