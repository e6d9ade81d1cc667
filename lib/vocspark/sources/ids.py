"""Stable document ids.

A record with an id of its own keeps it (``review_id``, tweet ``id``). A record without one (Instagram-style
comments) gets ``hashed_doc_id``: the first 32 hex digits of SHA-256 over
``source \\x1f user \\x1f created_at as 'yyyy-MM-dd HH:mm:ss' (UTC) \\x1f text``, with a null user as the empty
string. The same formula exists as a Spark column (for ingest) and in Python (for the demo generator's truth
file), and a test keeps the two equal.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from pyspark.sql import Column
from pyspark.sql import functions as F

SEP = "\x1f"
ID_TIME_FORMAT = "yyyy-MM-dd HH:mm:ss"  # Spark pattern
ID_TIME_FORMAT_PY = "%Y-%m-%d %H:%M:%S"


def hashed_doc_id(source: Column, user: Column, created_at: Column, text: Column) -> Column:
    """Spark column version; ``created_at`` is a timestamp column (session time zone UTC)."""
    key = F.concat_ws(
        SEP,
        source,
        F.coalesce(user, F.lit("")),
        F.date_format(created_at, ID_TIME_FORMAT),
        text,
    )
    return F.substring(F.sha2(key, 256), 1, 32)


def hashed_doc_id_py(source: str, user: str | None, created_at: dt.datetime, text: str) -> str:
    """Python version; ``created_at`` naive (taken as UTC) or aware."""
    if created_at.tzinfo is not None:
        created_at = created_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    key = SEP.join([source, user or "", created_at.strftime(ID_TIME_FORMAT_PY), text])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
