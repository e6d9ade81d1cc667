"""The product graph of the reviews, and the question asked of it: which products' reviews are predicted into
another category than the one the product is assigned to.

Vertices (``type`` / Neptune ``~label``), ids prefixed by their type so they are unique across types:

- ``customer`` ``customer:<user_id>``; ``product`` ``product:<product_id>``; ``review`` ``review:<doc_id>``;
  ``product_category`` ``category:<name>``.

Edges (``relationship`` / ``~label``), ids built from the keys that make them unique:

- ``WROTE`` customer -> review (``wrote:<doc_id>``), with the review time;
- ``BOUGHT`` customer -> product, one per (customer, product) pair (``bought:<user_id>|<product_id>``), with the
  number of reviews and whether any of them was a verified purchase;
- ``REVIEWED`` review -> product (``reviewed:<doc_id>``; the original drew it from the review to the product,
  and so do we: "this review reviewed that product");
- ``ASSIGNED`` product -> product_category (``assigned:<product_id>|<category>``);
- ``PREDICTED`` review -> product_category (``predicted:<doc_id>``) with the classifier's ``confidence`` (the
  probability of its prediction) and model version; only reviews with a non-null prediction get one. When the
  predictions hold a review more than once (re-scored months), the row of the greatest model version wins.

Parquet tables use GraphFrames' columns (vertices ``id``; edges ``src``, ``dst``, ``relationship``) so
``GraphFrame(vertices, edges)`` loads them as they are. Neptune CSVs follow the Gremlin bulk-load format:
``~id``, ``~label`` (vertices), ``~id``, ``~from``, ``~to``, ``~label`` (edges), then ``name:Type`` property
columns (String, Int, Long, Double, Bool, Date as ISO-8601 UTC).

Mismatch ranking: per product with at least one prediction, ``n_predicted``, ``n_mismatch`` (predicted category
!= assigned category, compared trimmed and case-insensitively), ``mismatch_share`` = n_mismatch / n_predicted,
``mean_confidence`` of the mismatching predictions and the most predicted other category (ties to the smaller
name); only products with a mismatch, ranked by share, then mean confidence (both descending), then product_id.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import schemas

# The contracts live in vocspark.schemas; these names stay for the callers (jobs/graph_export.py, tests).
VERTEX = schemas.GRAPH_VERTEX
EDGE = schemas.GRAPH_EDGE
MISMATCH = schemas.GRAPH_MISMATCH
VERTEX_TYPES = ("customer", "product", "review", "product_category")
RELATIONSHIPS = ("WROTE", "BOUGHT", "REVIEWED", "ASSIGNED", "PREDICTED")

# Neptune property columns per vertex type / relationship: (header "name:Type", source column)
NEPTUNE_VERTEX_PROPS = {
    "customer": [("userId:String", "user_id"), ("reviews:Long", "reviews")],
    "product": [("productId:String", "product_id"), ("productParent:String", "product_parent"),
                ("title:String", "product_title"), ("reviews:Long", "reviews")],
    "review": [("docId:String", "doc_id"), ("starRating:Int", "star_rating"), ("helpfulVotes:Int", "helpful_votes"),
               ("totalVotes:Int", "total_votes"), ("verifiedPurchase:Bool", "verified_purchase"),
               ("createdAt:Date", "created_at"), ("month:String", "month")],
    "product_category": [("name:String", "name"), ("reviews:Long", "reviews")],
}
NEPTUNE_EDGE_PROPS = {
    "WROTE": [("createdAt:Date", "created_at")],
    "BOUGHT": [("reviews:Long", "reviews"), ("verifiedPurchase:Bool", "verified_purchase")],
    "REVIEWED": [],
    "ASSIGNED": [("reviews:Long", "reviews")],
    "PREDICTED": [("confidence:Double", "confidence"), ("modelVersion:String", "model_version")],
}


def _id(prefix: str, *cols: str) -> Column:
    return F.concat(F.lit(prefix), F.concat_ws("|", *[F.col(c) for c in cols]))


def _conform(df: DataFrame, schema: T.StructType) -> DataFrame:
    """The contract's columns (absent ones null); strict: every column is already typed, a lossy cast is a bug."""
    return schemas.conform(df, schema, strict=True)


def latest_predictions(predictions_df: DataFrame) -> DataFrame:
    """One row per (source, doc_id) with a non-null prediction: the greatest model version's (source, doc_id,
    prediction (trimmed), confidence, model_version)."""
    best = F.max(F.struct(F.col("model_version"), F.col("probability"), F.col("prediction")))
    return (
        predictions_df.where(F.col("prediction").isNotNull())
        .groupBy("source", "doc_id").agg(best.alias("p"))
        .select("source", "doc_id", F.trim(F.col("p.prediction")).alias("prediction"),
                F.col("p.probability").alias("confidence"), F.col("p.model_version").alias("model_version"))
    )


def vertices(reviews_df: DataFrame) -> DataFrame:
    """Every vertex of the valid reviews, in the :data:`vocspark.schemas.GRAPH_VERTEX` contract."""
    customers = reviews_df.groupBy("user_id").agg(F.count(F.lit(1)).alias("reviews")).select(
        _id("customer:", "user_id").alias("id"), F.lit("customer").alias("type"), F.col("user_id").alias("name"),
        "user_id", "reviews")
    products = reviews_df.groupBy("product_id").agg(
        F.max("product_parent").alias("product_parent"), F.max("product_title").alias("product_title"),
        F.count(F.lit(1)).alias("reviews"),
    ).select(_id("product:", "product_id").alias("id"), F.lit("product").alias("type"),
             F.col("product_title").alias("name"), "product_id", "product_parent", "product_title", "reviews")
    reviews = reviews_df.select(
        _id("review:", "doc_id").alias("id"), F.lit("review").alias("type"), F.col("doc_id").alias("name"),
        "doc_id", "user_id", "product_id", "product_category", "star_rating", "helpful_votes", "total_votes",
        "verified_purchase", "created_at", "month")
    categories = reviews_df.groupBy("product_category").agg(F.count(F.lit(1)).alias("reviews")).select(
        _id("category:", "product_category").alias("id"), F.lit("product_category").alias("type"),
        F.col("product_category").alias("name"), "product_category", "reviews")
    parts = [_conform(df, schemas.GRAPH_VERTEX) for df in (customers, products, reviews, categories)]
    return parts[0].unionByName(parts[1]).unionByName(parts[2]).unionByName(parts[3])


def edges(reviews_df: DataFrame, predicted_df: DataFrame | None = None) -> DataFrame:
    """Every edge, in the :data:`vocspark.schemas.GRAPH_EDGE` contract; ``predicted_df`` from
    :func:`latest_predictions` (None: no PREDICTED edges)."""
    wrote = reviews_df.select(
        _id("wrote:", "doc_id").alias("id"), _id("customer:", "user_id").alias("src"),
        _id("review:", "doc_id").alias("dst"), F.lit("WROTE").alias("relationship"), "created_at")
    bought = reviews_df.groupBy("user_id", "product_id").agg(
        F.count(F.lit(1)).alias("reviews"),
        F.max(F.coalesce(F.col("verified_purchase"), F.lit(False))).alias("verified_purchase"),
    ).select(_id("bought:", "user_id", "product_id").alias("id"), _id("customer:", "user_id").alias("src"),
             _id("product:", "product_id").alias("dst"), F.lit("BOUGHT").alias("relationship"), "reviews",
             "verified_purchase")
    reviewed = reviews_df.select(
        _id("reviewed:", "doc_id").alias("id"), _id("review:", "doc_id").alias("src"),
        _id("product:", "product_id").alias("dst"), F.lit("REVIEWED").alias("relationship"), "created_at")
    assigned = reviews_df.groupBy("product_id", "product_category").agg(F.count(F.lit(1)).alias("reviews")).select(
        _id("assigned:", "product_id", "product_category").alias("id"), _id("product:", "product_id").alias("src"),
        _id("category:", "product_category").alias("dst"), F.lit("ASSIGNED").alias("relationship"), "reviews")
    parts = [_conform(df, schemas.GRAPH_EDGE) for df in (wrote, bought, reviewed, assigned)]
    if predicted_df is not None:
        joined = reviews_df.select("source", "doc_id").join(predicted_df, ["source", "doc_id"], "inner")
        parts.append(_conform(joined.select(
            _id("predicted:", "doc_id").alias("id"), _id("review:", "doc_id").alias("src"),
            _id("category:", "prediction").alias("dst"), F.lit("PREDICTED").alias("relationship"),
            "confidence", "model_version"), schemas.GRAPH_EDGE))
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    return out


def predicted_categories(reviews_df: DataFrame, predicted_df: DataFrame) -> DataFrame:
    """Category vertices for predicted categories no review is assigned to (so every PREDICTED edge has both
    ends): (id, type, name, product_category) rows in the VERTEX contract."""
    assigned = reviews_df.select(F.col("product_category").alias("prediction")).distinct()
    extra = predicted_df.select("prediction").distinct().join(assigned, "prediction", "left_anti")
    return _conform(extra.select(
        _id("category:", "prediction").alias("id"), F.lit("product_category").alias("type"),
        F.col("prediction").alias("name"), F.col("prediction").alias("product_category"),
        F.lit(0).cast(T.LongType()).alias("reviews")), schemas.GRAPH_VERTEX)


def neptune_vertices(vertices_df: DataFrame, vertex_type: str) -> DataFrame:
    props = NEPTUNE_VERTEX_PROPS[vertex_type]
    return vertices_df.where(F.col("type") == vertex_type).select(
        F.col("id").alias("~id"), F.col("type").alias("~label"), *[F.col(c).alias(h) for h, c in props])


def neptune_edges(edges_df: DataFrame, relationship: str) -> DataFrame:
    props = NEPTUNE_EDGE_PROPS[relationship]
    return edges_df.where(F.col("relationship") == relationship).select(
        F.col("id").alias("~id"), F.col("src").alias("~from"), F.col("dst").alias("~to"),
        F.col("relationship").alias("~label"), *[F.col(c).alias(h) for h, c in props])


def _norm(col: str) -> Column:
    return F.lower(F.trim(F.col(col)))


def mismatch_ranking(reviews_df: DataFrame, predicted_df: DataFrame) -> DataFrame:
    """Products whose reviews are predicted into another category than the assigned one, ranked (see module)."""
    joined = reviews_df.select("source", "doc_id", "product_id", "product_title", "product_category").join(
        predicted_df, ["source", "doc_id"], "inner")
    is_mismatch = _norm("prediction") != _norm("product_category")
    per_prediction = joined.groupBy("product_id", "prediction").agg(
        F.count(F.lit(1)).alias("n"),
        F.max(is_mismatch).alias("is_mismatch"),
        F.sum("confidence").alias("confidence_sum"),
        F.max("product_title").alias("product_title"),
        F.max("product_category").alias("product_category"),
    )
    mismatching = F.col("is_mismatch")
    per_product = per_prediction.groupBy("product_id").agg(
        F.max("product_title").alias("product_title"),
        F.max("product_category").alias("assigned_category"),
        F.sum("n").cast(T.LongType()).alias("n_predicted"),
        F.coalesce(F.sum(F.when(mismatching, F.col("n"))), F.lit(0)).cast(T.LongType()).alias("n_mismatch"),
        F.sum(F.when(mismatching, F.col("confidence_sum"))).alias("mismatch_confidence_sum"),
        F.min(F.when(mismatching, F.struct((-F.col("n")).alias("neg_n"), F.col("prediction").alias("p"))))
        .getField("p").alias("top_predicted_category"),
    ).where(F.col("n_mismatch") > 0)
    ranked = per_product.select(
        "product_id", "product_title", "assigned_category", "top_predicted_category", "n_predicted", "n_mismatch",
        (F.col("n_mismatch") / F.col("n_predicted")).alias("mismatch_share"),
        (F.col("mismatch_confidence_sum") / F.col("n_mismatch")).alias("mean_confidence"),
    )
    # one row per product with a mismatch; the global order is the ranking (a single-partition window)
    order = Window.orderBy(F.desc("mismatch_share"), F.desc("mean_confidence"), F.asc("product_id"))
    return ranked.withColumn("rank", F.row_number().over(order))

