"""JDBC loads into PostgreSQL-compatible warehouses (Amazon Redshift, PostgreSQL) that mirror the lake.

The lake replaces whole slices (``predictions/<model>/month=yyyy-MM/``, ``user_subjects/as_of=yyyy-MM-dd/``), so
the warehouse does the same: a load replaces every row of the slice it loads (the months, the as-of days), and
after any sequence of loads each loaded slice of a table equals the lake's. A load of one table is:

1. the sweeper (:func:`sweep_staging`) drops the target's staging tables left by killed runs, older than
   ``warehouse.staging_max_age_hours`` (their age is the UTC timestamp that starts the run id in their name);
2. ``CREATE TABLE IF NOT EXISTS`` the target (DDL derived from the table's contract in :mod:`vocspark.schemas`
   plus a few SQL overrides, see :class:`Table`; types both engines accept);
3. ``CREATE TABLE <target>_stg_<run> (LIKE <target>)``: a staging table named after the run (:func:`staging_name`);
4. Spark writes the rows to the staging table over JDBC (``write_partitions`` parallel connections);
5. in ONE transaction (:func:`merge_statements`): ``DELETE FROM target WHERE <slice column> IN (<slice>)``, then
   (predictions only) ``DELETE ... USING staging`` on the key for a staged key still held by another slice, then
   ``INSERT INTO target SELECT ... FROM staging``; commit. Any failure rolls back, so readers see the old rows or
   the new ones, never a half-loaded table;
6. the staging table is dropped (also when a step failed).

Without a slice (``slice_values=None``) step 5 is the old upsert by key: delete the staged keys, insert.

Keys: a comment prediction is identified by ``(source, doc_id)``. ``doc_id`` is the source's id, and for
comments that have none it is the SHA-256 of source, user, time and text (see ``sources/ids.py``): the
"same date, user and text" rule of the original system. A user's subject row is identified by
``(user_id, as_of)``. The slice column of a table is :attr:`Table.slice_column` (``month``, ``as_of``).

Credentials: the user comes from config (``warehouse.user``), the secret's ``username`` or
``$VOCSPARK_WAREHOUSE_USER``; the password from the environment variable ``warehouse.password_env`` or from
the AWS Secrets Manager secret ``warehouse.secret_id`` (the RDS/Redshift JSON secret format), never from a
file. The password never appears in logs, manifests or exceptions: every error leaving this module is passed
through :func:`redact`.

SQL statements run through the JDBC driver on the driver's JVM (py4j), the same driver Spark writes with, so
there is no second client library to pin.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import schemas
from vocspark import secrets as secrets_mod

log = logging.getLogger(__name__)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
USER_ENV = "VOCSPARK_WAREHOUSE_USER"
STAGING_MAX_AGE_HOURS = 24  # default of `warehouse.staging_max_age_hours`


class WarehouseError(RuntimeError):
    """A warehouse load failed; the message never holds a credential."""


# --------------------------------------------------------------------------- table definitions
# Spark type -> SQL type both Redshift and PostgreSQL accept. A string column is VARCHAR(256) (Redshift's
# default length) unless the table's overrides say otherwise; arrays, maps and structs are stored as text
# (see ARRAY_AS), since Redshift has no array type.
SQL_TYPES: dict[type, str] = {
    T.StringType: "VARCHAR(256)",
    T.BooleanType: "BOOLEAN",
    T.ByteType: "SMALLINT",
    T.ShortType: "SMALLINT",
    T.IntegerType: "INTEGER",
    T.LongType: "BIGINT",
    T.FloatType: "REAL",
    T.DoubleType: "DOUBLE PRECISION",
    T.DateType: "DATE",
    T.TimestampType: "TIMESTAMP",  # UTC (the session time zone): TIMESTAMP WITHOUT TIME ZONE
}
# How a column of a nested type is stored: "csv" = the elements' text joined with commas (arrays of atomic
# values; what the warehouse always held), "json" = JSON text (any nested type). Both are VARCHAR columns:
# Redshift's SUPER would need JSON_PARSE in the load's INSERT, which the staging copy does not do.
ARRAY_AS = ("csv", "json")
NESTED_TEXT_TYPE = "VARCHAR(4096)"


def sql_type(data_type: T.DataType) -> str:
    """The SQL type of a Spark type (no length override): :data:`SQL_TYPES`, DECIMAL(p,s), text for nested."""
    if isinstance(data_type, T.DecimalType):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    if isinstance(data_type, (T.ArrayType, T.MapType, T.StructType)):
        return NESTED_TEXT_TYPE
    try:
        return SQL_TYPES[type(data_type)]
    except KeyError:
        raise WarehouseError(f"no SQL type for Spark type {data_type.simpleString()}: add one to SQL_TYPES "
                             "or an override for the column") from None


@dataclass(frozen=True)
class Table:
    """A warehouse table: config name (key under ``warehouse.tables``), its contract (a StructType of
    :mod:`vocspark.schemas`), key columns, SQL type overrides per column (VARCHAR lengths...) and how nested
    columns are stored (:data:`ARRAY_AS`). The DDL is derived: :func:`sql_type` of each field (or its
    override), ``NOT NULL`` when the field is not nullable, and the keys as the primary key. ``slice_column`` is
    the column a load replaces whole (the lake's partition: ``month``, ``as_of``), see :func:`merge_statements`."""

    name: str
    schema: T.StructType
    keys: tuple[str, ...]
    sql_types: Mapping[str, str] = field(default_factory=dict)
    array_as: str = "csv"
    slice_column: str | None = None

    def __post_init__(self) -> None:
        names = self.schema.fieldNames()
        unknown = [c for c in (*self.keys, *self.sql_types, *filter(None, [self.slice_column])) if c not in names]
        if unknown:
            raise ValueError(f"warehouse table {self.name}: no column {unknown} in its contract (have: {names})")
        if self.array_as not in ARRAY_AS:
            raise ValueError(f"warehouse table {self.name}: array_as must be one of {ARRAY_AS}, got {self.array_as!r}")

    @property
    def column_names(self) -> list[str]:
        return self.schema.fieldNames()

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        """(name, SQL type with ``NOT NULL`` when the contract says so), in contract order."""
        return tuple(
            (f.name, self.sql_types.get(f.name) or sql_type(f.dataType)) if f.nullable
            else (f.name, f"{self.sql_types.get(f.name) or sql_type(f.dataType)} NOT NULL")
            for f in self.schema.fields
        )

    def ddl(self, qualified: str) -> str:
        cols = ",\n  ".join(f"{c} {t}" for c, t in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {qualified} (\n  {cols},\n  PRIMARY KEY ({', '.join(self.keys)})\n)"

    def to_sql_rows(self, df: DataFrame) -> DataFrame:
        """``df`` conformed to the contract (strict: a lossy cast fails, see :func:`schemas.conform`) with nested
        columns turned into their stored text: the rows as the JDBC writer sends them."""
        conformed = schemas.conform(df, self.schema, strict=True)
        return conformed.select(*[_stored(f, self.array_as) for f in self.schema.fields])


def _stored(field_: T.StructField, array_as: str = "csv") -> Column:
    col = F.col(field_.name)
    data_type = field_.dataType
    if isinstance(data_type, T.ArrayType) and array_as == "csv" and not isinstance(
            data_type.elementType, (T.ArrayType, T.MapType, T.StructType)):
        return F.array_join(F.transform(col, lambda x: x.cast("string")), ",").alias(field_.name)
    if isinstance(data_type, (T.ArrayType, T.MapType, T.StructType)):
        return F.to_json(col, {"timeZone": "UTC"}).alias(field_.name)
    return col


# VARCHAR lengths are bytes on Redshift (max 65535): text of up to 5000 characters fits in UTF-8.
PREDICTIONS = Table(
    "predictions",
    schemas.WAREHOUSE_PREDICTIONS,
    ("source", "doc_id"),
    {
        "source": "VARCHAR(64)",
        "doc_id": "VARCHAR(128)",
        "text": "VARCHAR(65535)",
        "category": "VARCHAR(64)",
        "category_name": "VARCHAR(128)",
        "model": "VARCHAR(128)",
        "model_version": "VARCHAR(128)",
        "month": "CHAR(7)",
        "run_id": "VARCHAR(64)",
    },
    array_as="csv",  # cluster_ids: per sentence, comma-separated
    slice_column="month",  # predictions/<model>/month=yyyy-MM/
)
USER_SUBJECTS = Table("user_subjects", schemas.WAREHOUSE_USER_SUBJECTS, ("user_id", "as_of"), {"run_id": "VARCHAR(64)"},
                      slice_column="as_of")  # user_subjects/as_of=yyyy-MM-dd/
TABLES = {t.name: t for t in (PREDICTIONS, USER_SUBJECTS)}


def identifier(value: str, key: str) -> str:
    """``value`` when it is a plain SQL identifier, else an error naming the config key."""
    if not IDENTIFIER.match(value or ""):
        raise WarehouseError(f"`{key}` must be a plain SQL identifier (letters, digits, _), got {value!r}")
    return value


SLICE_TEXT = re.compile(r"^[A-Za-z0-9_.:\- ]{1,64}$")


def slice_literal(value: Any) -> str:
    """A slice value as a SQL literal: a date as ``DATE 'yyyy-MM-dd'``, a string (a month ``yyyy-MM``...) quoted.
    Anything else, or a string with characters a partition value never has, is refused (no SQL from data)."""
    if isinstance(value, dt.datetime):
        raise WarehouseError(f"slice value {value!r}: a timestamp is not a slice (use a date or a string)")
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str) and SLICE_TEXT.match(value):
        return f"'{value}'"
    raise WarehouseError(f"slice value {value!r}: not a date or a plain partition value (letters, digits, -_.: )")


def merge_statements(table: Table, target: str, staging: str, slice_values: Sequence[Any] | None = None) -> list[str]:
    """The statements of the load's transaction, deletes first and the ``INSERT`` of the staged rows last.

    With ``slice_values`` (a non-empty list of values of ``table.slice_column``): delete the whole slice, then, when
    the slice column is not part of the key, delete the staged keys that another slice still holds (a row moves to
    the slice that loaded it last; the primary key stays unique), then insert. Without: delete the staged keys
    (upsert by key), then insert."""
    on = " AND ".join(f"{target}.{k} = {staging}.{k}" for k in table.keys)
    cols = ", ".join(table.column_names)
    by_key = f"DELETE FROM {target} USING {staging} WHERE {on}"
    insert = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {staging}"
    if slice_values is None:
        return [by_key, insert]
    if not table.slice_column:
        raise WarehouseError(f"warehouse table {table.name} has no slice column: it can only be upserted by key")
    if not slice_values:
        raise WarehouseError(f"warehouse table {table.name}: an empty slice replaces nothing")
    values = ", ".join(slice_literal(v) for v in sorted(set(slice_values), key=str))
    deletes = [f"DELETE FROM {target} WHERE {table.slice_column} IN ({values})"]
    if table.slice_column not in table.keys:
        deletes.append(by_key)
    return [*deletes, insert]


# --------------------------------------------------------------------------- connection settings
@dataclass(frozen=True)
class Connection:
    """Where and as whom to connect. ``repr`` hides the password."""

    url: str
    driver: str
    user: str
    password: str
    schema: str

    def __repr__(self) -> str:
        return f"Connection(url={self.url!r}, driver={self.driver!r}, user={self.user!r}, password='***')"

    __str__ = __repr__

    def qualified(self, table: str) -> str:
        return f"{self.schema}.{table}"

    def redact(self, text: str) -> str:
        return redact(text, [self.password])


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret, password pair (``password=``, ``PWD=``, ``pwd=``, any case) and URL user-info
    secret replaced by ``***``: :func:`vocspark.secrets.redact`, the one redaction function."""
    return secrets_mod.redact(text, secrets)


def secret_from_secrets_manager(secret_id: str, region: str | None = None) -> dict[str, Any]:
    """The JSON secret ``secret_id`` (e.g. ``{"username": ..., "password": ...}``) from AWS Secrets Manager."""
    import boto3

    client = boto3.client("secretsmanager", region_name=region) if region else boto3.client("secretsmanager")
    try:
        value = client.get_secret_value(SecretId=secret_id)
    except Exception as exc:  # botocore ClientError / NoCredentialsError: name the secret, not its content
        raise WarehouseError(f"`warehouse.secret_id`: cannot read secret {secret_id!r}: {type(exc).__name__}: "
                             f"{getattr(exc, 'response', {}).get('Error', {}).get('Code', exc)}") from None
    try:
        data = json.loads(value.get("SecretString") or "")
    except ValueError:
        raise WarehouseError(f"`warehouse.secret_id`: secret {secret_id!r} is not a JSON object") from None
    if not isinstance(data, dict) or not data.get("password"):
        raise WarehouseError(f"`warehouse.secret_id`: secret {secret_id!r} has no `password`")
    return data


def connection(cfg: dict, env: dict | None = None) -> Connection:
    """Connection settings from ``cfg['warehouse']`` plus the secret; fails fast naming the missing key."""
    env = os.environ if env is None else env
    wh = cfg["warehouse"]
    if not wh.get("url"):
        raise WarehouseError("missing required key `warehouse.url` (e.g. jdbc:postgresql://host:5432/voc)")
    identifier(wh["schema"], "warehouse.schema")
    for name, table in wh["tables"].items():
        identifier(table, f"warehouse.tables.{name}")
    user = wh.get("user")
    if wh.get("secret_id"):
        secret = secret_from_secrets_manager(wh["secret_id"], wh.get("region"))
        password = str(secret["password"])
        user = user or secret.get("username") or secret.get("user")
    else:
        password = env.get(wh["password_env"], "")
        if not password:
            raise WarehouseError(
                f"warehouse password missing: set the environment variable ${wh['password_env']} "
                "(`warehouse.password_env`) or `warehouse.secret_id`"
            )
    user = user or env.get(USER_ENV)
    if not user:
        raise WarehouseError(f"warehouse user missing: set `warehouse.user`, the secret's username or ${USER_ENV}")
    return Connection(wh["url"], wh["driver"], user, password, wh["schema"])


# --------------------------------------------------------------------------- JDBC through the driver's JVM
@contextmanager
def jdbc(spark: SparkSession, conn: Connection) -> Iterator[Any]:
    """A ``java.sql.Connection`` from the JDBC driver Spark uses (registered through Spark's DriverRegistry, so
    jars added with ``--jars``/``spark.jars``/``--extra-jars`` are found), closed on exit."""
    jvm = spark.sparkContext._jvm
    try:
        registry = jvm.org.apache.spark.sql.execution.datasources.jdbc.DriverRegistry
        registry.register(conn.driver)
        props = jvm.java.util.Properties()
        props.setProperty("user", conn.user)
        props.setProperty("password", conn.password)
        jconn = registry.get(conn.driver).connect(conn.url, props)
    except Exception as exc:
        raise WarehouseError(f"cannot connect to {conn.url} as {conn.user}: {conn.redact(_short(exc))}") from None
    if jconn is None:
        raise WarehouseError(f"driver {conn.driver} does not accept the URL {conn.url}")
    try:
        yield jconn
    finally:
        jconn.close()


def _short(exc: BaseException) -> str:
    """The first lines of an exception (py4j errors carry a whole Java stack)."""
    lines = [ln for ln in str(exc).splitlines() if ln.strip() and not ln.strip().startswith("at ")]
    return " ".join(lines[:3])


def execute(jconn: Any, sql: str) -> int:
    stmt = jconn.createStatement()
    try:
        return int(stmt.executeUpdate(sql))
    finally:
        stmt.close()


def query(jconn: Any, sql: str) -> list[tuple]:
    """Rows of a small query (tests and checks), values as strings."""
    stmt = jconn.createStatement()
    try:
        rs = stmt.executeQuery(sql)
        n = rs.getMetaData().getColumnCount()
        rows = []
        while rs.next():
            rows.append(tuple(rs.getString(i) for i in range(1, n + 1)))
        return rows
    finally:
        stmt.close()


def transaction(jconn: Any, statements: Sequence[str]) -> list[int]:
    """Run ``statements`` in one transaction; roll back and re-raise on any failure."""
    jconn.setAutoCommit(False)
    try:
        counts = [execute(jconn, sql) for sql in statements]
        jconn.commit()
        return counts
    except Exception:
        jconn.rollback()
        raise
    finally:
        jconn.setAutoCommit(True)


# --------------------------------------------------------------------------- staging tables and the sweeper
STAGING_INFIX = "_stg_"
MAX_IDENTIFIER = 63  # PostgreSQL's limit (Redshift allows 127)
_RUN_STAMP = re.compile(r"^(\d{8})t(\d{6})z[a-z0-9]*$")


def staging_name(table: str, run_id: str) -> str:
    """``<table>_stg_<run id in lower-case letters and digits>``: a run id from :func:`vocspark.io.new_run_id`
    starts with its UTC timestamp (``20210701T120000Z-ab12cd`` -> ``<table>_stg_20210701t120000zab12cd``), which
    :func:`staging_created_at` reads back. A run id too long for the identifier keeps its start (the timestamp) and
    ends with a hash of the whole id, so two runs never share a staging table."""
    suffix = re.sub(r"[^a-z0-9]", "", run_id.lower()) or "run"
    room = MAX_IDENTIFIER - len(table) - len(STAGING_INFIX)
    if len(suffix) > room:
        keep = room - 8 if room >= 24 else (16 if room >= 16 else 0)  # the timestamp when it fits, then a hash
        suffix = suffix[:keep] + hashlib.sha1(run_id.encode("utf-8")).hexdigest()[:max(room - keep, 0)]
    return f"{table}{STAGING_INFIX}{suffix}"[:MAX_IDENTIFIER]


def staging_created_at(name: str, target_table: str) -> dt.datetime | None:
    """When the run that made staging table ``name`` of ``target_table`` started (UTC, from the run id in the
    name), or None when ``name`` is not such a table or its run id does not start with a timestamp."""
    prefix = f"{target_table}{STAGING_INFIX}".lower()
    name = name.lower()
    if not name.startswith(prefix):
        return None
    match = _RUN_STAMP.match(name[len(prefix):])
    if not match:
        return None
    try:
        return dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def stale_staging_tables(names: Sequence[str], target_table: str, run_id: str, max_age_hours: float,
                         now: dt.datetime | None = None) -> list[str]:
    """The names among ``names`` that are staging tables of ``target_table`` made more than ``max_age_hours`` ago
    (see :func:`staging_created_at`), never the table of the current run ``run_id``, never a name that does not
    parse (a table we did not make, or a run id without a timestamp: left for a person to judge)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    current = staging_name(target_table, run_id).lower()
    stale = []
    for name in names:
        created = staging_created_at(name, target_table)
        if created is None or name.lower() == current:
            continue
        if (now - created).total_seconds() > max_age_hours * 3600:
            stale.append(name)
    return sorted(stale)


def sweep_staging(spark: SparkSession, conn: Connection, target_table: str, run_id: str,
                  max_age_hours: float = STAGING_MAX_AGE_HOURS, now: dt.datetime | None = None) -> list[str]:
    """Drop the staging tables of ``target_table`` left by runs that started more than ``max_age_hours`` ago (a
    killed load leaves its ``<target>_stg_<run>``); returns the qualified names dropped. The candidates come from
    ``information_schema.tables`` of the connection's schema (unquoted identifiers are folded to lower case by
    both engines); see :func:`stale_staging_tables` for what is never dropped."""
    target_table = identifier(target_table, "warehouse.tables")
    if max_age_hours < 0:
        raise WarehouseError(f"`warehouse.staging_max_age_hours` must be >= 0, got {max_age_hours}")
    try:
        with jdbc(spark, conn) as jconn:
            names = [r[0] for r in query(jconn, (
                "SELECT table_name FROM information_schema.tables "
                f"WHERE table_schema = '{conn.schema.lower()}' AND table_type = 'BASE TABLE' "
                f"AND position('{STAGING_INFIX}' in table_name) > 0"))]
            dropped = []
            for name in stale_staging_tables(names, target_table, run_id, max_age_hours, now):
                if not IDENTIFIER.match(name):  # only what staging_name can make (the regex already ensures it)
                    continue
                execute(jconn, f"DROP TABLE IF EXISTS {conn.qualified(name)}")
                dropped.append(conn.qualified(name))
    except WarehouseError:
        raise
    except Exception as exc:
        raise WarehouseError(f"sweep of the staging tables of {conn.qualified(target_table)} failed: "
                             f"{conn.redact(_short(exc))}") from None
    if dropped:
        log.warning("warehouse: dropped %d stale staging table(s) of %s older than %sh: %s", len(dropped),
                    conn.qualified(target_table), max_age_hours, ", ".join(dropped))
    return dropped


# --------------------------------------------------------------------------- the load
def replace_slice(spark: SparkSession, df: DataFrame, table: Table, conn: Connection, target_table: str,
                  run_id: str, slice_values: Sequence[Any] | None, batch_size: int = 5000,
                  write_partitions: int = 4) -> dict[str, Any]:
    """Make the slice ``slice_values`` of ``target_table`` (values of ``table.slice_column``) hold exactly
    ``df``'s rows, in one transaction (see module doc); ``slice_values=None`` upserts by key instead.

    ``df`` must hold ``table.column_names`` (typed as the contract: a lossy cast fails) with unique keys, all in
    the slice. Returns ``{"staged", "deleted", "inserted", "slice"}``: ``deleted`` counts every row removed (the
    old slice, plus staged keys moved from another slice), ``slice`` is ``{column: [values]}`` (None for an upsert).
    """
    target = conn.qualified(identifier(target_table, f"warehouse.tables.{table.name}"))
    staging = conn.qualified(staging_name(target_table, run_id))
    statements = merge_statements(table, target, staging, slice_values)  # a bad slice fails before any SQL
    try:
        with jdbc(spark, conn) as jconn:
            execute(jconn, table.ddl(target))
            execute(jconn, f"DROP TABLE IF EXISTS {staging}")
            execute(jconn, f"CREATE TABLE {staging} (LIKE {target})")
            try:
                (
                    table.to_sql_rows(df)
                    .coalesce(write_partitions)
                    .write.format("jdbc")
                    .options(url=conn.url, driver=conn.driver, dbtable=staging, user=conn.user,
                             password=conn.password, batchsize=str(batch_size))
                    .mode("append")
                    .save()
                )
                staged = int(query(jconn, f"SELECT COUNT(*) FROM {staging}")[0][0])
                counts = transaction(jconn, statements)
            finally:
                execute(jconn, f"DROP TABLE IF EXISTS {staging}")
    except WarehouseError:
        raise
    except Exception as exc:
        raise WarehouseError(f"load of {target} failed (table unchanged): {conn.redact(_short(exc))}") from None
    deleted, inserted = sum(counts[:-1]), counts[-1]
    replaced = None if slice_values is None else {table.slice_column: sorted({str(v) for v in slice_values})}
    log.info("warehouse %s: staged %d, deleted %d, inserted %d (slice %s)", target, staged, deleted, inserted,
             replaced if replaced is not None else "none: upsert by key")
    return {"staged": staged, "deleted": deleted, "inserted": inserted, "slice": replaced}


def upsert(spark: SparkSession, df: DataFrame, table: Table, conn: Connection, target_table: str, run_id: str,
           batch_size: int = 5000, write_partitions: int = 4) -> dict[str, Any]:
    """Replace the rows of ``target_table`` whose keys are in ``df`` by ``df``'s rows (no slice: rows that left
    the lake stay). :func:`replace_slice` is what ``load_warehouse`` uses."""
    return replace_slice(spark, df, table, conn, target_table, run_id, None, batch_size, write_partitions)
