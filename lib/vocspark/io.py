"""Reading and writing datasets: URIs through Hadoop's FileSystem (file://, s3a://, s3:// on EMR/Glue),
partitioned Parquet writes with dynamic partition overwrite, run manifests and rejected rows.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import platform
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import __version__, schemas, secrets

log = logging.getLogger(__name__)


class MissingInputError(FileNotFoundError):
    """An input path that does not exist or cannot be read; raised before any write."""


class ReconciliationError(RuntimeError):
    """rows read != rows written + rejected + filtered."""


# --------------------------------------------------------------------------- Hadoop FileSystem access
def _fs_and_path(spark: SparkSession, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, path


def path_exists(spark: SparkSession, uri: str) -> bool:
    fs, path = _fs_and_path(spark, uri)
    return bool(fs.exists(path))


def require_inputs(spark: SparkSession, inputs: Mapping[str, str]) -> None:
    """Fail fast, naming the key and the URI, when an input does not exist or cannot be listed."""
    for name, uri in inputs.items():
        try:
            ok = path_exists(spark, uri)
        except Exception as exc:  # py4j errors carry the Java exception text
            raise MissingInputError(f"input `{name}` at {uri} cannot be read: {exc}") from None
        if not ok:
            raise MissingInputError(f"input `{name}` does not exist: {uri}")


def probe_base(spark: SparkSession, uri: str) -> str | None:
    """List ``uri`` (a base prefix) to prove its bucket exists and can be listed: None when it can (a prefix not
    created yet counts: the job creates it), else the first line of the Java exception that says why
    (NoSuchBucket, AccessDenied...). S3A does not probe buckets when it starts, so a job calls this before any
    work rather than failing at its first write."""
    try:
        fs, path = _fs_and_path(spark, uri)
        fs.listStatus(path)
    except Exception as exc:  # py4j carries the Java exception
        text = str(exc)
        if "java.io.FileNotFoundException" in text:
            return None
        lines = text.splitlines() or [type(exc).__name__]
        return next((ln for ln in lines if "Exception" in ln), lines[0]).strip()
    return None


def list_files(spark: SparkSession, uri: str) -> list[str]:
    """All files under ``uri``, recursively (small listings only: raw source folders, not datasets)."""
    fs, path = _fs_and_path(spark, uri)
    it = fs.listFiles(path, True)
    out = []
    while it.hasNext():
        out.append(it.next().getPath().toString())
    return sorted(out)


@dataclass(frozen=True)
class FileStatus:
    """A file found by :func:`list_file_status`.

    ``uri`` is the file as Spark names it (``input_file_name()``, the ``source_file`` lineage column: percent-encoded
    URI); ``path`` is the Hadoop path string to read it with; ``size`` in bytes; ``mtime`` the modification time in
    milliseconds since the epoch (on S3 the object's last-modified time); ``etag`` when the file system has one
    (S3A), else None."""

    uri: str
    path: str
    size: int
    mtime: int
    etag: str | None = None


def is_hidden_name(name: str) -> bool:
    """Spark's file readers skip files and folders whose name starts with ``_`` or ``.`` (``_SUCCESS``, ``.crc``,
    ``_temporary``); listings that choose files for them skip the same ones."""
    return name.startswith("_") or name.startswith(".")


def list_file_status(spark: SparkSession, uri: str) -> list[FileStatus]:
    """Every file under ``uri`` (recursively; ``uri`` may also be one file) with its size, modification time and
    etag, sorted by URI; hidden files and files under hidden folders (:func:`is_hidden_name`) are left out. Empty
    when ``uri`` does not exist. Driver-side listing: raw source folders, not datasets."""
    fs, path = _fs_and_path(spark, uri)
    if not fs.exists(path):
        return []
    root = fs.makeQualified(path).toString().rstrip("/")
    it = fs.listFiles(path, True)
    out = []
    while it.hasNext():
        status = it.next()
        file_path = status.getPath()
        relative = file_path.toString()[len(root):].strip("/")
        if any(is_hidden_name(part) for part in relative.split("/") if part):
            continue
        try:
            etag = status.getEtag()  # S3A (Hadoop's EtagSource); other file systems have none
        except Exception:
            etag = None
        out.append(FileStatus(file_path.toUri().toString(), file_path.toString(), int(status.getLen()),
                              int(status.getModificationTime()), str(etag) if etag else None))
    return sorted(out, key=lambda f: f.uri)


@dataclass(frozen=True)
class Entry:
    """One child of a folder: its URI, name and whether it is a folder."""

    uri: str
    name: str
    is_dir: bool


def list_dir(spark: SparkSession, uri: str) -> list[Entry]:
    """The direct children of ``uri`` sorted by name (empty when ``uri`` does not exist)."""
    fs, path = _fs_and_path(spark, uri)
    if not fs.exists(path):
        return []
    out = [Entry(s.getPath().toString(), s.getPath().getName(), bool(s.isDirectory())) for s in fs.listStatus(path)]
    return sorted(out, key=lambda e: e.name)


def delete(spark: SparkSession, uri: str, recursive: bool = True) -> bool:
    """Delete a file or folder; False when there was nothing to delete."""
    fs, path = _fs_and_path(spark, uri)
    return bool(fs.delete(path, recursive))


def move_single_part(spark: SparkSession, folder_uri: str, file_uri: str) -> bool:
    """Move the one ``part-*`` file Spark wrote under ``folder_uri`` to ``file_uri`` (replacing it), then delete
    the folder. False when Spark wrote no part file (an empty result)."""
    fs, folder = _fs_and_path(spark, folder_uri)
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(file_uri)
    statuses = fs.globStatus(jvm.org.apache.hadoop.fs.Path(f"{folder_uri}/part-*")) or []  # null when none
    parts = sorted((s.getPath() for s in statuses), key=lambda p: p.getName())
    if fs.exists(target):
        fs.delete(target, False)
    if parts:
        fs.rename(parts[0], target)
    fs.delete(folder, True)
    return bool(parts)


def write_bytes(spark: SparkSession, uri: str, data: bytes) -> None:
    fs, path = _fs_and_path(spark, uri)
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    write_bytes(spark, uri, text.encode("utf-8"))


def create_new_text(spark: SparkSession, uri: str, text: str) -> bool:
    """Write ``text`` to ``uri`` only when nothing is there yet; False (nothing written) when it exists.
    Local and HDFS file systems make this atomic; on S3 it is a check-then-write."""
    fs, path = _fs_and_path(spark, uri)
    if fs.exists(path):
        return False
    write_text(spark, uri, text)
    return True


def read_text(spark: SparkSession, uri: str) -> str:
    fs, path = _fs_and_path(spark, uri)
    stream = fs.open(path)
    jvm = spark.sparkContext._jvm
    try:
        return jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
    finally:
        stream.close()


# --------------------------------------------------------------------------- datasets
def write_partitioned(
    df: DataFrame, uri: str, partition_by: list[str], files_per_partition: int = 1, shuffle: bool = True
) -> None:
    """Write Parquet partitioned Hive style with dynamic partition overwrite: only the partitions present in
    ``df`` are replaced, so a rerun for the same months leaves the same rows and other months untouched.

    Rows are first repartitioned by the partition columns (plus a salt when more than one file per partition is
    wanted) so each task writes few, large files. ``shuffle=False`` skips that for input that is already
    clustered by the partition columns (a scan of a dataset partitioned the same way, then row-wise work): each
    task then writes one file per partition it holds, so the files follow the input splits, with no shuffle of
    the data and no single task per month.
    """
    if shuffle and files_per_partition > 1:
        salt = F.abs(F.xxhash64(*[F.col(c) for c in df.columns[:3]])) % files_per_partition
        df = df.repartition(*[F.col(c) for c in partition_by], salt)
    elif shuffle:
        df = df.repartition(*[F.col(c) for c in partition_by])
    (
        df.write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*partition_by)
        .parquet(uri)
    )


def read_dataset(spark: SparkSession, uri: str, schema=None) -> DataFrame:
    reader = spark.read.option("basePath", uri)
    if schema is not None:
        reader = reader.schema(schema)
    return reader.parquet(uri)


def run_month(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m")


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"


# --------------------------------------------------------------------------- manifests
def versions(spark: SparkSession | None = None) -> dict[str, str]:
    out = {"vocspark": __version__, "python": platform.python_version()}
    try:
        import pyspark

        out["pyspark"] = pyspark.__version__
    except ImportError:  # pragma: no cover
        pass
    if spark is not None:
        out["spark"] = spark.version
    try:
        import sparknlp

        out["spark_nlp"] = sparknlp.version()
    except ImportError:  # pragma: no cover
        pass
    return out


@dataclass
class Manifest:
    """What a job run read and wrote; ``close()`` checks that the counts reconcile and writes the JSON to
    ``<base>/manifests/<job>/<run_id>.json``.

    Counts: ``read`` = ``written`` + sum(``rejected`` by reason) + sum(``filtered`` by rule).
    """

    job: str
    run_id: str
    args: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    read: int = 0
    written: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    filtered: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat())
    _t0: float = field(default_factory=time.monotonic, repr=False)

    @property
    def reconciled(self) -> bool:
        return self.read == self.written + sum(self.rejected.values()) + sum(self.filtered.values())

    def add_counts(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add rows of (outcome, detail, n) as produced by :func:`outcome_counts`."""
        for row in rows:
            n = int(row["n"])
            self.read += n
            if row["outcome"] == "written":
                self.written += n
            elif row["outcome"] == "rejected":
                self.rejected[row["detail"]] = self.rejected.get(row["detail"], 0) + n
            elif row["outcome"] == "filtered":
                self.filtered[row["detail"]] = self.filtered.get(row["detail"], 0) + n
            else:
                raise ValueError(f"unknown outcome {row['outcome']!r}")

    def to_dict(self, spark: SparkSession | None = None) -> dict[str, Any]:
        ended = dt.datetime.now(dt.timezone.utc)
        return {
            "job": self.job,
            "run_id": self.run_id,
            "started_at": self.started_at,
            "ended_at": ended.isoformat(),
            "seconds": round(time.monotonic() - self._t0, 3),
            # a URL or argument may carry a password (user:secret@, ?password=, ;PWD=): never written as is
            "args": secrets.redact_values(self.args),
            "inputs": secrets.redact_values(self.inputs),
            "outputs": self.outputs,
            "counts": {
                "read": self.read,
                "written": self.written,
                "rejected": dict(sorted(self.rejected.items())),
                "filtered": dict(sorted(self.filtered.items())),
            },
            "reconciled": self.reconciled,
            "extra": secrets.redact_values(self.extra),
            "versions": versions(spark),
        }

    def close(self, spark: SparkSession, base_uri: str, check: bool = True) -> str:
        """Write the manifest; then, when ``check``, fail unless the counts reconcile (a failed run's manifest is
        written with ``check=False``: its counts are partial)."""
        uri = manifest_uri(base_uri, self.job, self.run_id)
        body = self.to_dict(spark)
        write_text(spark, uri, json.dumps(body, indent=2, sort_keys=False, default=str) + "\n")
        log.info("%s manifest %s: %s", self.job, uri, json.dumps(body["counts"]))
        if check and not self.reconciled:
            raise ReconciliationError(f"{self.job} run {self.run_id} does not reconcile: {body['counts']} ({uri})")
        return uri


def manifest_uri(base_uri: str, job: str, run_id: str) -> str:
    return f"{base_uri.rstrip('/')}/manifests/{job}/{run_id}.json"


def read_manifest(spark: SparkSession, base_uri: str, job: str, run_id: str) -> dict[str, Any]:
    return json.loads(read_text(spark, manifest_uri(base_uri, job, run_id)))


# --------------------------------------------------------------------------- outcomes and rejects
OUTCOME = "_outcome"  # null = kept; "rejected:<reason>" or "filtered:<rule>"


def outcome_counts(df: DataFrame, group_cols: list[str] | None = None) -> list[dict[str, Any]]:
    """One small aggregate over the ``_outcome`` column: rows per (outcome, detail[, group_cols]).

    The result has one row per distinct reason and rule, so collecting it is safe whatever the input size.
    """
    group_cols = group_cols or []
    split = F.split(F.col(OUTCOME), ":", 2)
    counted = (
        df.select(
            *[F.col(c) for c in group_cols],
            F.coalesce(split.getItem(0), F.lit("written")).alias("outcome"),
            F.coalesce(split.getItem(1), F.lit("")).alias("detail"),
        )
        .groupBy("outcome", "detail", *group_cols)
        .agg(F.count(F.lit(1)).alias("n"))
    )
    return [row.asDict() for row in counted.collect()]


def reject(reason: str) -> Any:
    return F.lit(f"rejected:{reason}")


def filtered(rule: str) -> Any:
    return F.lit(f"filtered:{rule}")


def first_outcome(*cases: tuple[Any, Any]) -> Any:
    """``F.when`` chain: the first (condition, outcome) that holds, else null (kept)."""
    expr = None
    for cond, outcome in cases:
        expr = F.when(cond, outcome) if expr is None else expr.when(cond, outcome)
    return expr if expr is not None else F.lit(None).cast("string")


def rejected_rows(df: DataFrame, job: str, run_id: str, month: str, raw_col: str = "raw") -> DataFrame:
    """Rows whose outcome is a rejection, shaped as the ``rejected`` contract (``month``: the month of the run)."""
    return schemas.conform(
        df.where(F.col(OUTCOME).startswith("rejected:")).select(
            F.lit(job).alias("job"),
            F.col("source"),
            F.lit(run_id).alias("run_id"),
            F.substring_index(F.col(OUTCOME), ":", -1).alias("reason"),
            F.col(raw_col).alias("raw"),
            F.col("source_file"),
            F.lit(month).alias("month"),
        ),
        schemas.REJECTED,
    )


# What identifies a rejected record: the same record found again by a later run is not recorded again.
REJECT_KEY = ("job", "source", "reason", "source_file", "raw")


def unrecorded_rejects(df: DataFrame, rejected_uri: str) -> DataFrame:
    """The rows of ``df`` (``rejected`` contract) that no OTHER run has recorded under ``rejected_uri`` yet: a left
    anti join on :data:`REJECT_KEY` (null-safe) with the stored rows of other run ids (the run's own partition is
    replaced by its write, so a rerun of the same run id records its rows again in place)."""
    spark = df.sparkSession
    if not path_exists(spark, rejected_uri) or not any(e.is_dir for e in list_dir(spark, rejected_uri)):
        return df
    stored_df = read_dataset(spark, rejected_uri, schemas.REJECTED).select(
        *[F.col(c).alias(f"_stored_{c}") for c in (*REJECT_KEY, "run_id")]
    )
    same_record = [F.col(c).eqNullSafe(F.col(f"_stored_{c}")) for c in REJECT_KEY]
    other_run = F.col("_stored_run_id") != F.col("run_id")
    condition = functools.reduce(lambda a, b: a & b, same_record) & other_run
    return df.join(stored_df, condition, "left_anti")


def write_rejected(df: DataFrame, base_uri: str) -> str:
    """Append the run's rejected rows to ``<base>/rejected/job=<job>/source=<source>/run_id=<run id>/``: each run
    writes only its own partitions (dynamic overwrite: a rerun of the same run id replaces only itself), and a
    record another run already recorded (same :data:`REJECT_KEY`) is not recorded again, so every rejected record
    appears once however many runs find it. Returns the ``rejected`` URI."""
    uri = f"{base_uri.rstrip('/')}/rejected"
    write_partitioned(unrecorded_rejects(df, uri), uri, schemas.PARTITIONS["rejected"])
    return uri
