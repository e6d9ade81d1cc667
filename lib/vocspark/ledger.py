"""The ingest ledger: which raw files were processed, by which run, and which months they touched.

Stored under the base URI as JSON lines, one file per run: ``<base>/ledger/<job>/<run_id>.jsonl`` (append-only:
a run adds its own file, so no run rewrites another's records; a rerun of the same run id replaces its own). One
record per file the run read::

    {"source": "tweets", "uri": "s3a://b/voc/raw/tweets/2021/05/01/10/f-1", "size": 1234, "mtime": 1620000000000,
     "etag": "...", "run_id": "...", "origin": "new" | "reread", "months": ["2021-05"],
     "months_written": ["2021-05"], "recorded_at": "2021-05-03T06:00:00+00:00"}

- ``uri`` is the file as Spark names it (``source_file`` in ``documents``); ``size`` + ``mtime`` identify its
  content: a file listed with another size or modification time is a changed file and is processed again.
- ``months``: the months (yyyy-MM) of the file's records (every record with a date, whatever its outcome), so a
  later run knows which files to re-read when it rewrites a month; ``months_written``: the months of the file
  that the run wrote (a month selection may leave some for later: the difference is *pending*).

The state of a file is the union of the records with its current identity (source, uri, size, mtime).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Iterable

from pyspark.sql import SparkSession

from vocspark import io

LEDGER_DIR = "ledger"
SUFFIX = ".jsonl"


class LedgerError(RuntimeError):
    """The ledger exists but cannot be read (listed, opened or parsed); raised before the run writes anything."""


@dataclass(frozen=True)
class Record:
    source: str
    uri: str
    size: int
    mtime: int
    run_id: str
    months: tuple[str, ...] = ()
    months_written: tuple[str, ...] = ()
    etag: str | None = None
    origin: str = "new"
    recorded_at: str = ""

    @property
    def identity(self) -> tuple[int, int]:
        return (self.size, self.mtime)

    def to_json(self) -> str:
        body = {
            "source": self.source, "uri": self.uri, "size": self.size, "mtime": self.mtime, "etag": self.etag,
            "run_id": self.run_id, "origin": self.origin, "months": sorted(self.months),
            "months_written": sorted(self.months_written), "recorded_at": self.recorded_at,
        }
        return json.dumps(body, sort_keys=False)

    @classmethod
    def from_json(cls, line: str) -> "Record":
        body = json.loads(line)
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        return cls(
            source=str(body["source"]), uri=str(body["uri"]), size=int(body["size"]), mtime=int(body["mtime"]),
            run_id=str(body["run_id"]), months=tuple(body.get("months") or ()),
            months_written=tuple(body.get("months_written") or ()), etag=body.get("etag"),
            origin=str(body.get("origin", "new")), recorded_at=str(body.get("recorded_at", "")),
        )


@dataclass
class FileState:
    """What the ledger knows of one file with its current identity."""

    months: set[str] = field(default_factory=set)
    months_written: set[str] = field(default_factory=set)
    run_ids: list[str] = field(default_factory=list)

    @property
    def pending(self) -> set[str]:
        return self.months - self.months_written


class Ledger:
    """The records of every earlier run, indexed by (source, uri)."""

    def __init__(self, uri: str, records: Iterable[Record] = ()):
        self.uri = uri
        self.records = list(records)
        self._by_file: dict[tuple[str, str], list[Record]] = {}
        for record in self.records:
            self._by_file.setdefault((record.source, record.uri), []).append(record)

    def state(self, source: str, status: io.FileStatus) -> FileState | None:
        """The merged state of the file when the ledger has it with the same size and modification time, else
        None (a file never processed, or changed since)."""
        same = [r for r in self._by_file.get((source, status.uri), []) if r.identity == (status.size, status.mtime)]
        if not same:
            return None
        out = FileState()
        for record in same:
            out.months |= set(record.months)
            out.months_written |= set(record.months_written)
            out.run_ids.append(record.run_id)
        return out

    def earlier_months(self, source: str, status: io.FileStatus) -> set[str]:
        """The months written from earlier versions of a changed file (records of another identity): those months
        hold rows of the old content and are rewritten with the new one."""
        return {
            m for r in self._by_file.get((source, status.uri), [])
            if r.identity != (status.size, status.mtime) for m in r.months_written
        }


def ledger_uri(base_uri: str, job: str) -> str:
    return f"{base_uri.rstrip('/')}/{LEDGER_DIR}/{job}"


def read(spark: SparkSession, uri: str) -> Ledger:
    """Every record under ``uri`` (an empty ledger when nothing is there yet); :class:`LedgerError` naming the URI
    (and the file and line) when it cannot be listed, opened or parsed."""
    try:
        entries = io.list_dir(spark, uri)
    except Exception as exc:  # py4j carries the Java exception
        raise LedgerError(f"ingest ledger at {uri} cannot be listed: {_first_line(exc)}") from None
    records: list[Record] = []
    for entry in entries:
        if entry.is_dir or io.is_hidden_name(entry.name):
            continue
        if not entry.name.endswith(SUFFIX):
            raise LedgerError(f"ingest ledger at {uri} holds an unexpected file {entry.name} (only *{SUFFIX})")
        try:
            text = io.read_text(spark, entry.uri)
        except Exception as exc:
            raise LedgerError(f"ingest ledger at {uri}: {entry.name} cannot be read: {_first_line(exc)}") from None
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(Record.from_json(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise LedgerError(
                    f"ingest ledger at {uri}: {entry.name} line {n} is not a ledger record: {_first_line(exc)}"
                ) from None
    return Ledger(uri, records)


def write(spark: SparkSession, uri: str, run_id: str, records: Iterable[Record]) -> str | None:
    """Write the run's records to ``<uri>/<run_id>.jsonl`` (replacing a file of the same run id); None when there is
    nothing to record."""
    records = list(records)
    if not records:
        return None
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    lines = [Record(**{**r.__dict__, "recorded_at": r.recorded_at or now}).to_json() for r in records]
    file_uri = f"{uri.rstrip('/')}/{run_id}{SUFFIX}"
    io.write_text(spark, file_uri, "\n".join(lines) + "\n")
    return file_uri


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]
