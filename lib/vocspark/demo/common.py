"""Shared pieces of the demo sources: parameters, time span, defects (malformed records and duplicates), the
truth table and what a chunk hands back to the writer.
"""
from __future__ import annotations

import datetime as dt
import io as _io
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DEFAULT_CHUNK_SIZE = 50_000
OVER_LONG_CHARS = 5000  # conf `ingest.max_chars` default: over_long records are longer than this

SOURCES = ("amazon_reviews", "tweets", "instagram")


@dataclass(frozen=True)
class Params:
    """Everything a chunk needs besides its own task (picklable: sent to worker processes)."""

    seed: int
    start: dt.datetime  # UTC, naive
    months: int
    malformed_fraction: float
    duplicate_fraction: float
    keywords: tuple[str, ...]
    chunk_size: int = DEFAULT_CHUNK_SIZE

    @property
    def end(self) -> dt.datetime:
        return add_months(self.start, self.months)

    def month_starts(self) -> list[dt.datetime]:
        """Boundaries of the calendar months of the span: [start, 1st of next month, ..., end]."""
        out = [self.start]
        cur = dt.datetime(self.start.year, self.start.month, 1)
        while True:
            cur = add_months(cur, 1)
            if cur >= self.end:
                break
            out.append(cur)
        out.append(self.end)
        return out


def add_months(d: dt.datetime, months: int) -> dt.datetime:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    days_in_month = [31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28, 31, 30, 31, 30,
                     31, 31, 30, 31, 30, 31][month - 1]
    return d.replace(year=year, month=month, day=min(d.day, days_in_month))


def parse_start_date(value: str | dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"start_date must look like yyyy-MM-dd, got {value!r}") from None


def epoch_seconds(d: dt.datetime) -> int:
    return int(d.replace(tzinfo=dt.timezone.utc).timestamp())


def iso_seconds(epoch: np.ndarray) -> np.ndarray:
    """Epoch seconds -> 'yyyy-MM-ddTHH:mm:ss' (numpy unicode array)."""
    return np.datetime_as_string(np.asarray(epoch, dtype="int64").astype("datetime64[s]"), unit="s")


def keyword_regex(keywords: Sequence[str]) -> re.Pattern:
    """Python twin of ``vocspark.sources.common.keyword_pattern``: any keyword as a whole word (``#``/``@`` allowed
    before it), case-insensitive."""
    words = sorted({k.strip().lower() for k in keywords if k and k.strip()}, key=lambda x: (-len(x), x))
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(x) for x in words) + r")(?!\w)", re.IGNORECASE)


# --------------------------------------------------------------------------- defects
@dataclass
class Defects:
    """Which rows of a chunk are malformed (and how) and which are copies of an earlier row."""

    malformed: np.ndarray  # object: None or the kind
    dup_of: np.ndarray  # int64: -1 or the row this one repeats

    @property
    def is_duplicate(self) -> np.ndarray:
        return self.dup_of >= 0


def plan_defects(
    rng: np.random.Generator,
    n: int,
    kinds: Sequence[str],
    malformed_fraction: float,
    duplicate_fraction: float,
    group: np.ndarray | None = None,
) -> Defects:
    """Malformed rows (each with probability ``malformed_fraction``, kinds uniform) and duplicates: a row becomes
    (with probability ``duplicate_fraction``) an exact copy of the nearest earlier well-formed original row of the
    same ``group`` (when given), so the copy always comes second. Copies and malformed rows are disjoint."""
    malformed = np.full(n, None, dtype=object)
    dup_of = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return Defects(malformed, dup_of)
    bad = rng.random(n) < malformed_fraction
    kind_idx = rng.integers(0, len(kinds), size=n)
    kinds_arr = np.array(list(kinds), dtype=object)
    malformed[bad] = kinds_arr[kind_idx[bad]]
    want_dup = (rng.random(n) < duplicate_fraction) & ~bad
    ok = ~bad & ~want_dup
    idx = np.arange(n)
    last_ok = np.maximum.accumulate(np.where(ok, idx, -1))
    prev_ok = np.concatenate([[-1], last_ok[:-1]])
    group = np.zeros(n, dtype=np.int64) if group is None else np.asarray(group)
    fits = (prev_ok >= 0) & (group[np.maximum(prev_ok, 0)] == group)
    dup_of[:] = np.where(want_dup & fits, prev_ok, -1)
    return Defects(malformed, dup_of)


# --------------------------------------------------------------------------- truth
TRUTH_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("doc_id", pa.string()),
        pa.field("user_id", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("lang", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("category", pa.string()),
        pa.field("sentence_categories", pa.list_(pa.string())),
        pa.field("sentence_subjects", pa.list_(pa.string())),
        pa.field("sentence_sentiments", pa.list_(pa.string())),
        pa.field("sentiment", pa.string()),
        pa.field("star_rating", pa.int32()),
        pa.field("needs_support", pa.bool_()),
        pa.field("is_discriminatory", pa.bool_()),  # tweets: set for Spanish ones (planted, demo only)
        pa.field("discrimination_category", pa.string()),  # one of 7 when is_discriminatory
        pa.field("is_relevant", pa.bool_()),
        pa.field("marketplace", pa.string()),
        pa.field("malformed", pa.string()),
        pa.field("malformed_detail", pa.string()),
        pa.field("is_duplicate", pa.bool_(), nullable=False),
        pa.field("user_dominant_subject", pa.string()),
        pa.field("file", pa.string()),
    ]
)
TRUTH_COLUMNS = tuple(TRUTH_SCHEMA.names)


def list_column(values: np.ndarray, counts: np.ndarray) -> pa.Array:
    """A list<string> column from a flat array of values and the number of values per row."""
    offsets = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    flat = pa.array(list(values), type=pa.string()) if len(values) else pa.array([], type=pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def truth_parquet(columns: dict[str, Any], n: int) -> bytes:
    """Serialise one chunk's truth rows (missing columns are null) as Parquet bytes."""
    arrays = []
    for fld in TRUTH_SCHEMA:
        value = columns.get(fld.name)
        if value is None:
            arrays.append(pa.nulls(n, type=fld.type))
        elif isinstance(value, pa.Array):
            arrays.append(value.cast(fld.type) if value.type != fld.type else value)
        elif isinstance(value, (str, bool)):
            arrays.append(pa.array([value] * n, type=fld.type))
        else:
            if isinstance(value, np.ndarray) and value.dtype == object:
                value = value.tolist()
            arrays.append(pa.array(value, type=fld.type))
    table = pa.Table.from_arrays(arrays, schema=TRUTH_SCHEMA)
    sink = _io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def timestamps_us(epoch_s: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(epoch_s, dtype="int64") * 1_000_000, type=pa.int64()).cast(
        pa.timestamp("us", tz="UTC")
    )


# --------------------------------------------------------------------------- chunk output
@dataclass
class ChunkOutput:
    """What one chunk hands to the writer: bytes to append to raw files (paths relative to the raw folder),
    its truth rows as Parquet bytes, and its counts."""

    source: str
    index: int
    files: list[tuple[str, bytes]] = field(default_factory=list)
    truth: bytes | None = None
    counts: dict[str, Any] = field(default_factory=dict)


def base_counts(defects: Defects) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for kind in defects.malformed[defects.malformed != None].tolist():  # noqa: E711
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "records": int(defects.dup_of.size),
        "duplicates": int(defects.is_duplicate.sum()),
        "malformed": kinds,
    }


def encode(text: str) -> bytes:
    """UTF-8, except the lone surrogates put in for the invalid_utf8 kind, which become raw bytes."""
    return text.encode("utf-8", "surrogateescape")
