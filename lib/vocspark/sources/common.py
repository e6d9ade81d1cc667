"""Pieces shared by the raw-source parsers.

Every parser returns the ``documents`` columns it knows, plus ``raw`` (the record as read, kept only for rejected
rows), ``source_file`` and ``_outcome`` (see :mod:`vocspark.io`): null for a good record, ``rejected:<reason>``
for a malformed one, ``filtered:<rule>`` for a well-formed record a source rule drops (marketplace, language,
keyword). Rules are applied in the order listed; a record gets the first one that holds.

Dates: a record whose date parses but lies outside the source's plausibility window (:func:`plausible_window`:
``sources.<name>.valid_from`` .. the run's "now" + ``max_future_days``, both inclusive) is rejected
``implausible_date``, right after ``bad_date``. The parsers never read the clock: the caller passes ``now``
(:func:`reference_time`: the end of the run's ``--as-of`` day, else the run's UTC start), so a rerun with the
same ``--as-of`` rejects exactly the same records.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark.config import ConfigError, SourceConfig

REPLACEMENT_CHAR = "\ufffd"  # what Spark's UTF-8 decoding puts where the bytes were not valid UTF-8


def read_lines(spark: SparkSession, uri: str | list[str]) -> DataFrame:
    """Every line of every file under ``uri`` (recursively; gzip and bzip2 files are decompressed); ``uri`` may be
    a list of files."""
    return (
        spark.read.option("recursiveFileLookup", "true")
        .text(uri)
        .select(F.col("value").alias("raw"), F.input_file_name().alias("source_file"))
    )


def has_invalid_utf8(col: Column) -> Column:
    """True when the value is not valid UTF-8.

    The text reader hands Spark the file's bytes unchecked, so the bytes are compared with their re-encoding
    through a Java string (which turns every invalid sequence into U+FFFD); readers that decode themselves (CSV)
    already put U+FFFD in place of the bytes, which the second test catches.
    """
    return (F.encode(col, "UTF-8") != col.cast("binary")) | (F.instr(col, REPLACEMENT_CHAR) > 0)


def is_blank(col: Column) -> Column:
    return col.isNull() | (F.length(F.trim(col)) == 0)


def keyword_pattern(keywords: Iterable[str]) -> str:
    """Java regex matching any keyword as a whole word (a leading ``#`` or ``@`` allowed), case-insensitive and
    Unicode-aware, so ``envío`` does not match inside ``envíos``... but does match ``#envío``."""
    words = sorted({k.strip().lower() for k in keywords if k and k.strip()}, key=lambda w: (-len(w), w))
    if not words:
        raise ValueError("keyword list is empty")
    alternatives = "|".join(re.escape(w) for w in words)
    return rf"(?iu)(?<![\p{{L}}\p{{N}}_])(?:{alternatives})(?![\p{{L}}\p{{N}}_])"


def mentions_keyword(col: Column, keywords: Iterable[str]) -> Column:
    return F.coalesce(col.rlike(keyword_pattern(keywords)), F.lit(False))


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


def reference_time(as_of: str | dt.date | None, started: dt.datetime) -> dt.datetime:
    """The run's "now" for date plausibility: the end of the ``--as-of`` day (its next UTC midnight), so the same
    ``--as-of`` always gives the same bound whatever day the run happens; without one, ``started`` (the run's
    UTC start time)."""
    if as_of is None or str(as_of).strip() == "":
        return _as_utc(started)
    try:
        day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of).strip())
    except ValueError:
        raise ConfigError(f"--as-of: `{as_of}` is not a date yyyy-MM-dd") from None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)


def plausible_window(src: SourceConfig, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(earliest, latest) plausible record time, both inclusive, UTC: ``valid_from`` at midnight and
    ``now + max_future_days``."""
    earliest = dt.datetime.combine(dt.date.fromisoformat(str(src.valid_from)), dt.time(), tzinfo=dt.timezone.utc)
    return earliest, _as_utc(now) + dt.timedelta(days=src.max_future_days)


def _timestamp_lit(moment: dt.datetime) -> Column:
    """A UTC instant as a Spark timestamp literal, whatever the session or Python time zone."""
    return F.lit(_as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")).cast("timestamp")


def is_implausible(ts: Column, window: tuple[dt.datetime, dt.datetime]) -> Column:
    """True when the timestamp lies outside ``window`` (inclusive); false for null (``bad_date`` comes first)."""
    earliest, latest = window
    return F.coalesce((ts < _timestamp_lit(earliest)) | (ts > _timestamp_lit(latest)), F.lit(False))
