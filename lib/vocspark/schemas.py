"""StructType contracts for every dataset: the single source of truth (see GUIDE.md section 3).

``documents``, ``documents_clean`` and ``sentences`` are stored partitioned by ``source`` and then
``month=yyyy-MM``, so that ingesting one source never replaces another source's months; ``month`` stays a column
of the contract (Spark restores both from the path on read).
"""
from __future__ import annotations

from pyspark.sql import DataFrame
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
        T.StructField("month", T.StringType(), False),  # month of the run
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

PARTITIONS = {
    "predictions_topics": ["month"],
    "documents": ["source", "month"],
    "documents_clean": ["source", "month"],
    "sentences": ["source", "month"],
    "rejected": ["job", "source", "month"],
    "predictions_classifier": ["month"],
}


def conform(df: DataFrame, schema: T.StructType) -> DataFrame:
    """Select exactly ``schema``'s columns, in order and cast to its types; missing nullable columns become null.

    This is the schema contract at the end of a transformation. A missing non-nullable column is an error.
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
    return df.select(*cols)
