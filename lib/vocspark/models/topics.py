"""Topic model for sentences: Spark ML Word2Vec, then KMeans on the sentence vectors.

Sentence vector (Spark ML ``Word2VecModel.transform``): the sum of the vectors of the sentence's tokens that are
in the vocabulary, divided by the number of ALL its tokens. An out-of-vocabulary token adds nothing to the sum but
still counts in the divisor, so it shrinks the vector without turning it; with the default cosine distance the
shrinking does not change the cluster. A sentence none of whose tokens is in the vocabulary (or with no token)
has the zero vector: it is not used for training and gets no cluster (null) at inference
(:func:`with_has_vector`).

Tie rules, documented where they are applied: the cluster report ranks terms by score, then alphabetically;
example sentences are the ones nearest to the centroid, then by doc_id and sentence index.
"""
from __future__ import annotations

from typing import Any

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import Word2Vec, Word2VecModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

VECTOR_COL = "vector"
CLUSTER_COL = "cluster"


def build_pipeline(params: dict[str, Any]) -> Pipeline:
    """Word2Vec + KMeans from the ``topics.<name>`` config section."""
    w2v, km = params["word2vec"], params["kmeans"]
    word2vec = Word2Vec(
        inputCol="tokens",
        outputCol=VECTOR_COL,
        vectorSize=w2v["vector_size"],
        windowSize=w2v["window"],
        minCount=w2v["min_count"],
        maxIter=w2v["max_iter"],
        numPartitions=w2v["num_partitions"],
        stepSize=w2v["step_size"],
        maxSentenceLength=w2v["max_sentence_length"],
        seed=w2v["seed"],
    )
    kmeans = KMeans(
        featuresCol=VECTOR_COL,
        predictionCol=CLUSTER_COL,
        k=km["k"],
        maxIter=km["max_iter"],
        tol=km["tol"],
        initMode=km["init_mode"],
        distanceMeasure=km["distance"],
        seed=km["seed"],
    )
    return Pipeline(stages=[word2vec, kmeans])


def vector_norm1(col: Column) -> Column:
    """Sum of absolute components of an ML vector, with built-in functions (no Python UDF)."""
    return F.aggregate(vector_to_array(col), F.lit(0.0), lambda acc, x: acc + F.abs(x))


def with_has_vector(df: DataFrame) -> DataFrame:
    """Add ``has_vector``: the sentence has at least one in-vocabulary token (a non-zero vector)."""
    return df.withColumn("has_vector", vector_norm1(F.col(VECTOR_COL)) > 0)


def fit(train_df: DataFrame, params: dict[str, Any]) -> PipelineModel:
    """Fit Word2Vec on every sentence, then KMeans on the sentences that have a non-zero vector."""
    pipeline = build_pipeline(params)
    word2vec, kmeans = pipeline.getStages()
    w2v_model: Word2VecModel = word2vec.fit(train_df)
    vectors_df = w2v_model.transform(train_df).transform(with_has_vector).where(F.col("has_vector"))
    km_model: KMeansModel = kmeans.fit(vectors_df)
    return PipelineModel(stages=[w2v_model, km_model])


def assign(model: PipelineModel, sentences_df: DataFrame) -> DataFrame:
    """``sentences_df`` + vector + cluster (null for sentences without an in-vocabulary token)."""
    w2v_model, km_model = model.stages
    vectors_df = w2v_model.transform(sentences_df).transform(with_has_vector)
    clustered_df = km_model.transform(vectors_df.where(F.col("has_vector")))
    empty_df = vectors_df.where(~F.col("has_vector")).withColumn(CLUSTER_COL, F.lit(None).cast("int"))
    return clustered_df.unionByName(empty_df).drop("has_vector")


def cluster_sizes(clustered_df: DataFrame) -> dict[int, int]:
    """Sentences per cluster (k rows: small)."""
    rows = clustered_df.where(F.col(CLUSTER_COL).isNotNull()).groupBy(CLUSTER_COL).count().collect()
    return {int(r[CLUSTER_COL]): int(r["count"]) for r in rows}


def silhouette(clustered_df: DataFrame, distance: str, sample_rows: int, total_rows: int, seed: int) -> float:
    """Silhouette on a sample (the metric is quadratic in rows per cluster)."""
    fraction = min(1.0, sample_rows / max(total_rows, 1))
    sample_df = clustered_df.where(F.col(CLUSTER_COL).isNotNull()).sample(fraction=fraction, seed=seed)
    measure = "cosine" if distance == "cosine" else "squaredEuclidean"
    evaluator = ClusteringEvaluator(
        featuresCol=VECTOR_COL, predictionCol=CLUSTER_COL, distanceMeasure=measure, metricName="silhouette"
    )
    return float(evaluator.evaluate(sample_df))


# ------------------------------------------------------------------------------------------ cluster report
def with_terms(df: DataFrame) -> DataFrame:
    """``terms``: the sentence's unigrams plus its bigrams (``a b``), from ``tokens``."""
    tokens = F.col("tokens")
    bigrams = F.transform(
        F.sequence(F.lit(1), F.greatest(F.size(tokens) - 1, F.lit(0))),
        lambda i: F.concat_ws(" ", F.element_at(tokens, i), F.element_at(tokens, i + 1)),
    )
    has_bigrams = F.size(tokens) > 1
    return df.withColumn(
        "terms", F.when(has_bigrams, F.concat(tokens, bigrams)).otherwise(F.coalesce(tokens, F.array()))
    )


def distinctive_terms(clustered_df: DataFrame, top_k: int) -> DataFrame:
    """Top ``top_k`` terms per cluster by class-based TF-IDF (c-TF-IDF).

    score(t, c) = tf(t, c) / terms(c) * log(1 + A / f(t)), where tf(t, c) is the count of term t in cluster c,
    terms(c) the number of term occurrences in c, f(t) the count of t over all clusters and A the mean number of
    term occurrences per cluster. A term frequent everywhere scores low; one concentrated in a cluster, high.
    Ties: higher count, then the term alphabetically. Returns cluster, rank, term, count, score.
    """
    counts_df = (
        clustered_df.where(F.col(CLUSTER_COL).isNotNull())
        .transform(with_terms)
        .select(F.col(CLUSTER_COL), F.explode("terms").alias("term"))
        .groupBy(CLUSTER_COL, "term")
        .agg(F.count(F.lit(1)).alias("count"))
    )
    per_cluster = Window.partitionBy(CLUSTER_COL).rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    per_term = Window.partitionBy("term").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    everything = Window.partitionBy().rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    scored_df = counts_df.select(
        CLUSTER_COL,
        "term",
        "count",
        F.sum("count").over(per_cluster).alias("cluster_terms"),
        F.sum("count").over(per_term).alias("term_total"),
    ).withColumn(
        "score",
        F.col("count") / F.col("cluster_terms")
        * F.log1p(F.avg("cluster_terms").over(everything) / F.col("term_total")),
    )
    rank_window = Window.partitionBy(CLUSTER_COL).orderBy(
        F.col("score").desc(), F.col("count").desc(), F.col("term")
    )
    return (
        scored_df.withColumn("rank", F.row_number().over(rank_window))
        .where(F.col("rank") <= top_k)
        .select(CLUSTER_COL, "rank", "term", "count", F.round("score", 6).alias("score"))
    )


def example_sentences(clustered_df: DataFrame, centers: list[list[float]], n: int, distance: str) -> DataFrame:
    """The ``n`` sentences nearest to each centroid (cosine or squared Euclidean, as the model was trained).

    Ties: doc_id, then sentence_idx. Returns cluster, rank, doc_id, sentence_idx, sentence, distance.
    """
    spark = clustered_df.sparkSession
    centers_df = spark.createDataFrame(
        [(i, [float(x) for x in c]) for i, c in enumerate(centers)], "cluster int, center array<double>"
    )
    vec = vector_to_array(F.col(VECTOR_COL))
    center = F.col("center")
    if distance == "cosine":
        dot = F.aggregate(F.zip_with(vec, center, lambda a, b: a * b), F.lit(0.0), lambda s, x: s + x)
        norm_v = F.sqrt(F.aggregate(vec, F.lit(0.0), lambda s, x: s + x * x))
        norm_c = F.sqrt(F.aggregate(center, F.lit(0.0), lambda s, x: s + x * x))
        dist = F.lit(1.0) - dot / (norm_v * norm_c)
    else:
        dist = F.aggregate(F.zip_with(vec, center, lambda a, b: (a - b) * (a - b)), F.lit(0.0), lambda s, x: s + x)
    ranked = Window.partitionBy(CLUSTER_COL).orderBy(F.col("distance"), F.col("doc_id"), F.col("sentence_idx"))
    return (
        clustered_df.where(F.col(CLUSTER_COL).isNotNull())
        .join(F.broadcast(centers_df), CLUSTER_COL)
        .select(CLUSTER_COL, "doc_id", "sentence_idx", "sentence", dist.alias("distance"))
        .withColumn("rank", F.row_number().over(ranked))
        .where(F.col("rank") <= n)
        .select(CLUSTER_COL, "rank", "doc_id", "sentence_idx", "sentence", F.round("distance", 6).alias("distance"))
    )


# ------------------------------------------------------------------------------------------ quality vs truth
def contingency_quality(pairs: list[tuple[int, str, int]]) -> dict[str, float]:
    """Purity and adjusted Rand index from a (cluster, true_label, count) contingency table (small: k x labels)."""
    n = sum(c for _, _, c in pairs)
    if n == 0:
        return {"purity": float("nan"), "adjusted_rand_index": float("nan"), "n": 0}
    by_cluster: dict[int, dict[str, int]] = {}
    by_label: dict[str, int] = {}
    for cluster, label, count in pairs:
        by_cluster.setdefault(cluster, {})[label] = by_cluster.setdefault(cluster, {}).get(label, 0) + count
        by_label[label] = by_label.get(label, 0) + count
    purity = sum(max(labels.values()) for labels in by_cluster.values()) / n

    def comb2(x: int) -> float:
        return x * (x - 1) / 2.0

    sum_cells = sum(comb2(c) for labels in by_cluster.values() for c in labels.values())
    sum_rows = sum(comb2(sum(labels.values())) for labels in by_cluster.values())
    sum_cols = sum(comb2(c) for c in by_label.values())
    total = comb2(n)
    expected = sum_rows * sum_cols / total if total else 0.0
    max_index = (sum_rows + sum_cols) / 2.0
    ari = (sum_cells - expected) / (max_index - expected) if max_index != expected else 1.0
    return {"purity": round(purity, 6), "adjusted_rand_index": round(ari, 6), "n": n}
