"""StructType contracts for every dataset: the single source of truth (see GUIDE.md section 3).

``documents``, ``documents_clean`` and ``sentences`` are stored partitioned by ``source`` and then
``month=yyyy-MM``, so that ingesting one source never replaces another source's months; ``month`` stays a column
of the contract (Spark restores both from the path on read).

Every partitioned dataset's partition columns are in :data:`PARTITIONS` (and are columns of its contract, see
:data:`CONTRACTS`). A reader that needs a looser view derives it (:func:`nullable`, :func:`fields`) instead of
defining the contract again; :func:`conform` is the contract at the end of a transformation (``strict=True``
refuses lossy casts). The warehouse DDL is derived from ``WAREHOUSE_*`` (see :mod:`vocspark.warehouse`).
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

DOCUMENTS = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("doc_id", T.StringType(), False),
        T.StructField("user_id", T.StringType(), True),
        T.StructField("created_at", T.TimestampType(), False),
        T.StructField("month", T.StringType(), False),
        T.StructField("lang", T.StringType(), False),
        T.StructField("text", T.StringType(), False),
        # typed nullable source attributes
        T.StructField("product_id", T.StringType(), True),
        T.StructField("product_parent", T.StringType(), True),
        T.StructField("product_title", T.StringType(), True),
        T.StructField("product_category", T.StringType(), True),
        T.StructField("star_rating", T.IntegerType(), True),
        T.StructField("helpful_votes", T.IntegerType(), True),
        T.StructField("total_votes", T.IntegerType(), True),
        T.StructField("verified_purchase", T.BooleanType(), True),
        T.StructField("vine", T.BooleanType(), True),
        T.StructField("marketplace", T.StringType(), True),
        T.StructField("headline", T.StringType(), True),
        T.StructField("url", T.StringType(), True),
        T.StructField("retweet_count", T.IntegerType(), True),
        T.StructField("reply_count", T.IntegerType(), True),
        T.StructField("like_count", T.IntegerType(), True),
        T.StructField("quote_count", T.IntegerType(), True),
        T.StructField("source_file", T.StringType(), True),
    ]
)

DOCUMENTS_CLEAN = T.StructType(
    DOCUMENTS.fields
    + [
        T.StructField("text_clean", T.StringType(), True),
        T.StructField("tokens", T.ArrayType(T.StringType(), False), True),
        T.StructField("n_tokens", T.IntegerType(), False),
        T.StructField("n_sentences", T.IntegerType(), False),
    ]
)

SENTENCES = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("doc_id", T.StringType(), False),
        T.StructField("sentence_idx", T.IntegerType(), False),
        T.StructField("user_id", T.StringType(), True),
        T.StructField("created_at", T.TimestampType(), False),
        T.StructField("month", T.StringType(), False),
        T.StructField("lang", T.StringType(), False),
        T.StructField("sentence", T.StringType(), False),
        T.StructField("tokens", T.ArrayType(T.StringType(), False), False),
    ]
)

REJECTED = T.StructType(
    [
        T.StructField("job", T.StringType(), False),
        T.StructField("source", T.StringType(), False),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("reason", T.StringType(), False),
        T.StructField("raw", T.StringType(), True),
        T.StructField("source_file", T.StringType(), True),
        T.StructField("month", T.StringType(), False),  # month of the run (a column, not a partition)
    ]
)

# predictions/<model>/ of infer_classifier (issue 4); graph_export (issue 6) reads it for PREDICTED edges.
# One row per scored document; a document the model cannot score has a null prediction and a `reason`.
TOP_K_ITEM = T.StructType([T.StructField("label", T.StringType(), False), T.StructField("probability", T.DoubleType(), False)])
PREDICTIONS_CLASSIFIER = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("doc_id", T.StringType(), False),
        T.StructField("user_id", T.StringType(), True),
        T.StructField("created_at", T.TimestampType(), True),
        T.StructField("prediction", T.StringType(), True),  # predicted label (the label map's name, not an index)
        T.StructField("probability", T.DoubleType(), True),  # probability of `prediction`
        T.StructField("top_k", T.ArrayType(TOP_K_ITEM, False), True),  # best first, k from config
        T.StructField("reason", T.StringType(), True),  # why `prediction` is null (e.g. no_tokens), else null
        T.StructField("model", T.StringType(), False),
        T.StructField("model_version", T.StringType(), False),
        T.StructField("month", T.StringType(), False),
    ]
)

# predictions/topics/ of infer_topics: one row per comment of the topic model's sources; comments without a
# labelled sentence have label `unassigned`.
PREDICTIONS_TOPICS = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("doc_id", T.StringType(), False),
        T.StructField("user_id", T.StringType(), True),
        T.StructField("created_at", T.TimestampType(), False),
        T.StructField("label", T.StringType(), False),
        T.StructField("subject", T.StringType(), True),
        T.StructField("category", T.StringType(), True),
        T.StructField("category_name", T.StringType(), True),
        T.StructField("cluster_ids", T.ArrayType(T.IntegerType(), True), False),
        T.StructField("model", T.StringType(), False),
        T.StructField("model_version", T.StringType(), False),
        T.StructField("month", T.StringType(), False),
    ]
)

# user_mode outputs (the rules are in analytics/user_mode.py): the 30-day mode of the subject per user.
USER_MODE_RESULT = [
    T.StructField("moda_30d", T.StringType(), True),
    T.StructField("moda_30d_count", T.LongType(), True),
    T.StructField("n_comments_30d", T.LongType(), False),
    T.StructField("n_assigned_30d", T.LongType(), False),
]
# user_subjects/as_of=yyyy-MM-dd/
USER_SUBJECTS = T.StructType(
    [T.StructField("user_id", T.StringType(), False), *USER_MODE_RESULT, T.StructField("as_of", T.DateType(), False)]
)
# user_subjects_history/month=yyyy-MM/as_of=yyyy-MM-dd/ (month of as_of)
USER_SUBJECTS_HISTORY = T.StructType(
    [
        T.StructField("user_id", T.StringType(), False),
        *USER_MODE_RESULT,
        T.StructField("month", T.StringType(), False),
        T.StructField("as_of", T.DateType(), False),
    ]
)
# user_subjects_per_comment/month=yyyy-MM/as_of=yyyy-MM-dd/ (as_of = the comment's UTC day)
USER_SUBJECTS_PER_COMMENT = T.StructType(
    [
        T.StructField("doc_id", T.StringType(), True),
        T.StructField("user_id", T.StringType(), False),
        T.StructField("created_at", T.TimestampType(), False),
        *USER_MODE_RESULT,
        T.StructField("month", T.StringType(), False),
        T.StructField("as_of", T.DateType(), False),
    ]
)

# analytics/graph/ of graph_export (rules in analytics/graph.py): GraphFrames' columns, snapshots (not partitioned).
GRAPH_VERTEX = T.StructType(
    [
        T.StructField("id", T.StringType(), False),
        T.StructField("type", T.StringType(), False),
        T.StructField("name", T.StringType(), True),
        T.StructField("user_id", T.StringType(), True),
        T.StructField("product_id", T.StringType(), True),
        T.StructField("product_parent", T.StringType(), True),
        T.StructField("product_title", T.StringType(), True),
        T.StructField("product_category", T.StringType(), True),
        T.StructField("doc_id", T.StringType(), True),
        T.StructField("star_rating", T.IntegerType(), True),
        T.StructField("helpful_votes", T.IntegerType(), True),
        T.StructField("total_votes", T.IntegerType(), True),
        T.StructField("verified_purchase", T.BooleanType(), True),
        T.StructField("created_at", T.TimestampType(), True),
        T.StructField("month", T.StringType(), True),
        T.StructField("reviews", T.LongType(), True),
    ]
)
GRAPH_EDGE = T.StructType(
    [
        T.StructField("id", T.StringType(), False),
        T.StructField("src", T.StringType(), False),
        T.StructField("dst", T.StringType(), False),
        T.StructField("relationship", T.StringType(), False),
        T.StructField("created_at", T.TimestampType(), True),
        T.StructField("reviews", T.LongType(), True),
        T.StructField("verified_purchase", T.BooleanType(), True),
        T.StructField("confidence", T.DoubleType(), True),
        T.StructField("model_version", T.StringType(), True),
    ]
)
# the analytics table graph_mismatch_ranking
GRAPH_MISMATCH = T.StructType(
    [
        T.StructField("product_id", T.StringType(), True),
        T.StructField("product_title", T.StringType(), True),
        T.StructField("assigned_category", T.StringType(), True),
        T.StructField("top_predicted_category", T.StringType(), True),
        T.StructField("n_predicted", T.LongType(), True),
        T.StructField("n_mismatch", T.LongType(), True),
        T.StructField("mismatch_share", T.DoubleType(), True),
        T.StructField("mean_confidence", T.DoubleType(), True),
        T.StructField("rank", T.IntegerType(), True),
    ]
)


def fields(schema: T.StructType, *names: str, nullable: bool | None = None) -> list[T.StructField]:
    """The fields ``names`` of ``schema`` (same types), with their nullability replaced when ``nullable`` is given:
    how a contract built from another one reuses its columns instead of retyping them."""
    return [T.StructField(f.name, f.dataType, f.nullable if nullable is None else nullable, f.metadata)
            for f in (schema[n] for n in names)]


def nullable(schema: T.StructType, columns: list[str] | tuple[str, ...] | None = None) -> T.StructType:
    """``schema`` with ``columns`` (default: every column) nullable: a reader's looser view of one contract (e.g.
    to plant the nulls a job must reject), derived from it rather than written a second time."""
    loosen = set(schema.fieldNames() if columns is None else columns)
    unknown = loosen - set(schema.fieldNames())
    if unknown:
        raise ValueError(f"nullable: no column {sorted(unknown)} in the contract (have: {schema.fieldNames()})")
    return T.StructType([T.StructField(f.name, f.dataType, f.nullable or f.name in loosen, f.metadata)
                         for f in schema.fields])


# Warehouse tables (vocspark.warehouse derives their DDL from these, plus its map of SQL overrides). Key columns
# and the run columns are NOT NULL; the prediction attributes stay nullable in the warehouse, as they always were.
WAREHOUSE_PREDICTIONS = T.StructType(
    [
        *fields(PREDICTIONS_TOPICS, "source", "doc_id", "user_id", "created_at"),
        T.StructField("comment_date", T.DateType(), False),  # UTC day of created_at
        T.StructField("text", T.StringType(), True),  # from documents/, null when the document is not there
        *fields(PREDICTIONS_TOPICS, "label", "subject", "category", "category_name", "cluster_ids", "model",
                "model_version", nullable=True),
        *fields(PREDICTIONS_TOPICS, "month"),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("loaded_at", T.TimestampType(), False),  # UTC
    ]
)
WAREHOUSE_USER_SUBJECTS = T.StructType(
    [
        *fields(USER_SUBJECTS, "user_id", "as_of", "moda_30d", "moda_30d_count", "n_comments_30d", "n_assigned_30d"),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("loaded_at", T.TimestampType(), False),
    ]
)

# Every stored dataset's contract by its name (the key of PARTITIONS and of config's dataset URIs).
CONTRACTS = {
    "documents": DOCUMENTS,
    "documents_clean": DOCUMENTS_CLEAN,
    "sentences": SENTENCES,
    "rejected": REJECTED,
    "predictions_classifier": PREDICTIONS_CLASSIFIER,
    "predictions_topics": PREDICTIONS_TOPICS,
    "user_subjects": USER_SUBJECTS,
    "user_subjects_history": USER_SUBJECTS_HISTORY,
    "user_subjects_per_comment": USER_SUBJECTS_PER_COMMENT,
    "graph_vertices": GRAPH_VERTEX,
    "graph_edges": GRAPH_EDGE,
    "graph_mismatch_ranking": GRAPH_MISMATCH,
}

# Partition columns (Hive style, in path order) of the partitioned datasets; each is a column of its contract.
# History and per-comment user subjects are partitioned by month and then by day, so that dynamic partition
# overwrite replaces exactly the days a run computed.
PARTITIONS = {
    "predictions_topics": ["month"],
    "documents": ["source", "month"],
    "documents_clean": ["source", "month"],
    "sentences": ["source", "month"],
    "rejected": ["job", "source", "run_id"],  # append-only: each run writes its own partitions
    "predictions_classifier": ["month"],
    "user_subjects": ["as_of"],
    "user_subjects_history": ["month", "as_of"],
    "user_subjects_per_comment": ["month", "as_of"],
}


class LossyCastError(ValueError):
    """``conform(strict=True)`` found a value its cast would lose (made null, or overflowed)."""


_INTEGRAL_RANK = {T.ByteType: 1, T.ShortType: 2, T.IntegerType: 3, T.LongType: 4}
_INTEGRAL_RANGE = {
    T.ByteType: (-(2**7), 2**7 - 1),
    T.ShortType: (-(2**15), 2**15 - 1),
    T.IntegerType: (-(2**31), 2**31 - 1),
    T.LongType: (-(2**63), 2**63 - 1),
}
_FLOAT_MAX = 3.4028234663852886e38


def _is_safe_cast(src: T.DataType, dst: T.DataType) -> bool:
    """Casts that can neither turn a value into null nor overflow (so strict mode needs no check for them)."""
    if src.simpleString() == dst.simpleString() or isinstance(src, T.NullType):
        return True  # the same type (nullability aside) or an all-null column
    if type(src) in _INTEGRAL_RANK and type(dst) in _INTEGRAL_RANK:
        return _INTEGRAL_RANK[type(src)] <= _INTEGRAL_RANK[type(dst)]
    if type(src) in _INTEGRAL_RANK or isinstance(src, T.FloatType):
        return isinstance(dst, (T.DoubleType, T.StringType)) or (isinstance(src, T.FloatType) and isinstance(dst, T.FloatType))
    if isinstance(dst, T.StringType):
        return not isinstance(src, T.BinaryType)  # every other type has a text form
    return isinstance(src, T.DateType) and isinstance(dst, T.TimestampType)


def _lost(col: Column, src: T.DataType, dst: T.DataType) -> tuple[Column, str]:
    """(true where casting ``col`` from ``src`` to ``dst`` loses the value, what the loss is)."""
    cast = col.cast(dst)
    if type(src) in _INTEGRAL_RANK and type(dst) in _INTEGRAL_RANK:  # narrowing: wraps around, never null
        return cast.cast(src) != col, f"overflows {dst.simpleString()}"
    if isinstance(src, (T.FloatType, T.DoubleType, T.DecimalType)) and type(dst) in _INTEGRAL_RANGE:
        low, high = _INTEGRAL_RANGE[type(dst)]
        out = (col < F.lit(low)) | (col > F.lit(high))
        if not isinstance(src, T.DecimalType):
            out = out | F.isnan(col)
        return out | cast.isNull(), f"overflows {dst.simpleString()}"
    if isinstance(src, (T.DoubleType, T.DecimalType)) and isinstance(dst, T.FloatType):
        too_big = (F.abs(col) > F.lit(_FLOAT_MAX)) & (F.abs(col) != F.lit(float("inf")))
        return too_big | cast.isNull(), f"overflows {dst.simpleString()}"
    if isinstance(src, T.ArrayType) and isinstance(dst, T.ArrayType):  # an element that becomes null is lost too
        kept = F.size(F.filter(col, lambda x: x.isNotNull())) != F.size(F.filter(cast, lambda x: x.isNotNull()))
        return cast.isNull() | kept, f"has an element that is not a valid {dst.elementType.simpleString()}"
    return cast.isNull(), f"is not a valid {dst.simpleString()}"


def check_lossless(df: DataFrame, schema: T.StructType) -> None:
    """Raise :class:`LossyCastError` naming the column and a sample value when casting one of ``df``'s columns to
    ``schema``'s type would lose a non-null value: made null (unparseable text, an invalid date, an element of an
    array) or overflowed (a narrowing numeric cast). Casts that cannot lose anything are not checked; the others
    are checked in one pass that stops at the first lossy row (``where(...).limit(1)``: nothing is collected but
    that row's offending values, as text). Under ANSI mode (Spark 4's default) Spark itself refuses such casts."""
    checks = []
    have = dict((f.name, f.dataType) for f in df.schema.fields)
    for field in schema.fields:
        src = have.get(field.name)
        if src is not None and not _is_safe_cast(src, field.dataType):
            col = F.col(field.name)
            lost, why = _lost(col, src, field.dataType)
            checks.append((field.name, src, field.dataType, col.isNotNull() & F.coalesce(lost, F.lit(False)), why))
    if not checks:
        return
    any_lost = checks[0][3]
    for check in checks[1:]:
        any_lost = any_lost | check[3]
    samples = [F.when(lost, F.col(name).cast("string")).alias(f"c{i}") for i, (name, _, _, lost, _) in enumerate(checks)]
    found = df.where(any_lost).select(*samples).limit(1).collect()
    if not found:
        return
    for i, (name, src, dst, _, why) in enumerate(checks):
        value = found[0][f"c{i}"]
        if value is not None:
            raise LossyCastError(
                f"column `{name}`: value {value!r} ({src.simpleString()}) {why}: refusing the lossy cast to "
                f"{dst.simpleString()}"
            )
    raise LossyCastError(f"a value of {[c[0] for c in checks]} cannot be cast to the contract type")  # pragma: no cover


def conform(df: DataFrame, schema: T.StructType, strict: bool = False) -> DataFrame:
    """Select exactly ``schema``'s columns, in order and cast to its types; missing nullable columns become null.

    This is the schema contract at the end of a transformation. A missing non-nullable column is an error.
    By default a value its cast cannot represent becomes null (Spark's cast). With ``strict=True`` such a cast is
    refused instead (:func:`check_lossless`: :class:`LossyCastError` naming the column and a sample value); use
    it where the input is already typed, so a mismatch is a bug to surface, not data to drop. When every column
    already has its contract type, strict costs nothing (no Spark job).
    """
    have = set(df.columns)
    cols = []
    for field in schema.fields:
        if field.name in have:
            cols.append(F.col(field.name).cast(field.dataType).alias(field.name))
        elif field.nullable:
            cols.append(F.lit(None).cast(field.dataType).alias(field.name))
        else:
            raise ValueError(f"column `{field.name}` required by the contract is missing (have: {sorted(have)})")
    if strict:
        check_lossless(df, schema)
    return df.select(*cols)
