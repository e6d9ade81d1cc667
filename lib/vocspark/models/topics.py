"""Topic model for sentences: Spark ML Word2Vec, then KMeans on the sentence vectors.

Sentence vector (Spark ML ``Word2VecModel.transform``): the sum of the vectors of the sentence's tokens that are
in the vocabulary, divided by the number of ALL its tokens. An out-of-vocabulary token adds nothing to the sum but
still counts in the divisor, so it shrinks the vector without turning it; with the default cosine distance the
shrinking does not change the cluster. A sentence none of whose tokens is in the vocabulary (or with no token)
has the zero vector: it is not used for training and gets no cluster (null) at inference.

The saved model is self-contained (:mod:`vocspark.models.topic_stages`): [Word2VecModel, FlagZeroVectors,
KMeansModel, NullClusterWithoutVector], so ``PipelineModel.load(uri).transform(sentences_df)`` gives ``cluster``
with the null rule. :func:`scoring_model` appends the analyst's mapping and the comment vote (TopicLabels,
CommentVote) after the mapping's version check; that pipeline's output is the ``predictions/topics`` contract.

Speed levers (``topics.<name>`` config, measured by ``bench/topics.py``, results in ``bench/topics.md``):

- ``word2vec.sample`` > 0: frequent-word subsampling of the Word2Vec TRAINING input only
  (:func:`subsample_tokens`, word2vec's formula). The word vectors are learned from the subsampled sentences, but
  the sentence vector is still computed from ALL the sentence's tokens with the rule above (Spark's
  ``Word2VecModel.transform``), for training KMeans as for inference. A subsampled word keeps about
  sqrt(count x sample x total) + sample x total occurrences, so on a corpus of more than ``min_count / sample``
  tokens it stays in the vocabulary: subsampling does not change which tokens count in the vector.
- ``word2vec.num_partitions``: Spark trains one model per partition, one core each, and averages them.
  Reproducibility: with 1 partition a fit is reproducible (same input files and seed -> the same vectors, clusters
  and cost; tested end to end). With more, it is not: two fits of Spark's Word2Vec on the same persisted input
  gave word vectors differing by up to 0.19 in a component (vector size 50, 2 partitions, local[2]), and the
  demo-truth comment accuracy of the test corpus then varied between 0.49 and 0.58 from run to run. Use 1 when a
  retrain must be repeatable (audits, tests); more partitions when the training time matters more.
- ``kmeans.train_sample_rows`` > 0: KMeans is trained on a seeded random sample of about that many sentences
  (:func:`sample_about`, persisted once with the vector column only); every sentence is then assigned
  to its nearest centroid by :func:`assign`, as before. 0 trains on every sentence with a vector.
  The sample is drawn from the token rows, so only its vectors are computed for training.
- ``kmeans.init_steps``: the number of ``k-means||`` initialisation rounds (Spark's ``initSteps``).

Tie rules, documented where they are applied: the cluster report ranks terms by score, then alphabetically;
example sentences are the ones nearest to the centroid, then by doc_id and sentence index.
"""
from __future__ import annotations

import math
from typing import Any

from pyspark import StorageLevel
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import Word2Vec, Word2VecModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from vocspark.config import Config, ConfigError
from vocspark.models.topic_mapping import TopicMapping
from vocspark.models.topic_stages import CommentVote, FlagZeroVectors, NullClusterWithoutVector, TopicLabels

VECTOR_COL = "vector"
CLUSTER_COL = "cluster"
KMEANS_INPUT_COL = "kmeans_vector"  # the vector KMeans reads: VECTOR_COL, or a unit vector where that is zero
HAS_VECTOR_COL = "has_vector"


def model_name(cfg: Config, name: str | None) -> str:
    """``name`` (default: the first topic model of the config), checked against config ``topics``."""
    if not cfg["topics"]:
        raise ConfigError(f"{cfg.origin}: no topic model under `topics`")
    name = name or next(iter(cfg["topics"]))
    if name not in cfg["topics"]:
        raise ConfigError(f"{cfg.origin}: unknown topic model `topics.{name}` (have: {', '.join(cfg['topics'])})")
    return name


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
        initSteps=km.get("init_steps", 2),
        distanceMeasure=km["distance"],
        seed=km["seed"],
    )
    return Pipeline(stages=[word2vec, kmeans])


def vector_norm1(col: Column) -> Column:
    """Sum of absolute components of an ML vector, with built-in functions (no Python UDF)."""
    return F.aggregate(vector_to_array(col), F.lit(0.0), lambda acc, x: acc + F.abs(x))


def fit(train_df: DataFrame, params: dict[str, Any]) -> PipelineModel:
    """Fit Word2Vec on every sentence (subsampled when ``word2vec.sample`` > 0), then KMeans on the sentences
    that have a non-zero vector (a sample of about ``kmeans.train_sample_rows`` of them when that is > 0).

    ``train_df`` needs ``tokens``; persist it first (it is read several times: Word2Vec's vocabulary and training
    passes, the row count for the sample, the vectors for KMeans)."""
    w2v_model = fit_word2vec(train_df, params)
    km_model = fit_kmeans_on_sentences(w2v_model, train_df, params)
    return clustering_model(w2v_model, km_model)


def clustering_model(w2v_model: Word2VecModel, km_model: KMeansModel) -> PipelineModel:
    """The saved topic model: [Word2Vec, FlagZeroVectors, KMeans (reading the flagged vector),
    NullClusterWithoutVector]. ``transform`` adds ``vector`` and ``cluster`` (null without an in-vocabulary
    token). ``km_model`` is trained on ``vector``; a copy of it (training summary included) reads the flagged
    column, ``km_model`` itself is left as it is."""
    km_model = km_model.copy().setFeaturesCol(KMEANS_INPUT_COL).setPredictionCol(CLUSTER_COL)
    return PipelineModel(stages=[
        w2v_model,
        FlagZeroVectors(inputCol=VECTOR_COL, outputCol=KMEANS_INPUT_COL, flagCol=HAS_VECTOR_COL),
        km_model,
        NullClusterWithoutVector(predictionCol=CLUSTER_COL, flagCol=HAS_VECTOR_COL,
                                 dropCols=[HAS_VECTOR_COL, KMEANS_INPUT_COL]),
    ])


def word2vec_stage(model: PipelineModel) -> Word2VecModel:
    return next(s for s in model.stages if isinstance(s, Word2VecModel))


def kmeans_stage(model: PipelineModel) -> KMeansModel:
    return next(s for s in model.stages if isinstance(s, KMeansModel))


def as_clustering_model(model: PipelineModel) -> PipelineModel:
    """``model`` itself, or for a model saved before the rules were stages ([Word2Vec, KMeans] only) the same
    two fitted stages wrapped as :func:`clustering_model`."""
    if len(model.stages) == 2:
        return clustering_model(word2vec_stage(model), kmeans_stage(model))
    return model


def scoring_model(base_model: PipelineModel, mapping: TopicMapping, cluster_sizes: dict, name: str,
                  version: str) -> PipelineModel:
    """The trained model + the analyst's mapping + the comment vote: ``transform`` of a ``sentences`` DataFrame
    gives one row per comment with the ``predictions/topics`` contract columns (see
    :class:`~vocspark.models.topic_stages.CommentVote` for the rule). Check the mapping's version first
    (:meth:`TopicMapping.check_model`): cluster ids mean nothing across versions.

    ``cluster_sizes``: training sentences per cluster (``metadata.json`` ``cluster_sizes``; keys may be strings).
    """
    k = len(kmeans_stage(base_model).clusterCenters())
    return PipelineModel(stages=[*as_clustering_model(base_model).stages,
                                 *labelling_stages(mapping, cluster_sizes, name, version, k)])


def labelling_stages(mapping: TopicMapping, cluster_sizes: dict, name: str, version: str,
                     k: int = 0) -> list:
    """[TopicLabels, CommentVote] for ``mapping``: the part of :func:`scoring_model` after the clusters (it reads
    sentences with ``cluster``; the demo's quality check applies it to clusterings of other origins too)."""
    rows = mapping.rows()  # (cluster, label, subject, category, severity), labelled clusters only
    sizes = {int(c): int(n) for c, n in cluster_sizes.items()}
    k = max([k, *[c + 1 for c in sizes]])
    names = [(lang, cat, n) for lang, by_cat in sorted(mapping.category_names.items())
             for cat, n in sorted(by_cat.items())]
    labels = TopicLabels(
        clusterCol=CLUSTER_COL,
        clusters=[r[0] for r in rows], labels=[r[1] for r in rows], subjects=[r[2] for r in rows],
        categories=[r[3] for r in rows], severities=[r[4] for r in rows],
        trainSizes=[sizes.get(c, 0) for c in range(k)],
    )
    vote = CommentVote(modelName=name, modelVersion=version, nameLangs=[n[0] for n in names],
                       nameCategories=[n[1] for n in names], names=[n[2] for n in names])
    return [labels, vote]


def fit_kmeans_on_sentences(
    w2v_model: Word2VecModel, train_df: DataFrame, params: dict[str, Any], total_rows: int | None = None
) -> KMeansModel:
    """The KMeans stage of :func:`fit`: on the vectors of ``train_df``'s sentences that have one.

    With ``kmeans.train_sample_rows`` > 0 the sample is drawn from the token rows (``total_rows``, the rows of
    ``train_df``, saves a count), so only the sample's vectors are computed; they are persisted once, vector
    column only. Otherwise every sentence's vector feeds KMeans, which caches its input itself."""
    km = params["kmeans"]
    kmeans = build_pipeline(params).getStages()[1]
    if not km.get("train_sample_rows", 0):
        return kmeans.fit(sentence_vectors(w2v_model, train_df))
    tokens_df = sample_about(train_df.select("tokens"), km["train_sample_rows"], km["seed"], total_rows)
    return _fit_on_persisted(kmeans, sentence_vectors(w2v_model, tokens_df))


def fit_word2vec(train_df: DataFrame, params: dict[str, Any]) -> Word2VecModel:
    """The Word2Vec stage of :func:`fit`, trained on ``tokens`` (subsampled when ``word2vec.sample`` > 0)."""
    w2v = params["word2vec"]
    word2vec = build_pipeline(params).getStages()[0]
    tokens_df = train_df.select("tokens")
    if w2v.get("sample", 0.0) > 0:
        tokens_df = subsample_tokens(tokens_df, w2v["sample"], w2v["min_count"], w2v["seed"])
    return word2vec.fit(tokens_df)


def sentence_vectors(w2v_model: Word2VecModel, sentences_df: DataFrame) -> DataFrame:
    """``vector`` of every sentence that has a non-zero one (the KMeans input of :func:`fit`), nothing else."""
    return (
        w2v_model.transform(sentences_df.select("tokens"))
        .where(vector_norm1(F.col(VECTOR_COL)) > 0)
        .select(VECTOR_COL)
    )


def fit_kmeans(vectors_df: DataFrame, params: dict[str, Any], total_rows: int | None = None) -> KMeansModel:
    """The KMeans stage of :func:`fit` on vectors that are already there (column ``vector``, non-zero rows).

    With ``kmeans.train_sample_rows`` > 0: trains on a persisted sample of about that many rows, vector column
    only (``total_rows``, the rows of ``vectors_df``, saves a count when the caller knows it); otherwise on every
    row, which Spark's KMeans caches itself."""
    kmeans = build_pipeline(params).getStages()[1]
    km = params["kmeans"]
    if not km.get("train_sample_rows", 0):
        return kmeans.fit(vectors_df)
    sample_df = sample_about(vectors_df.select(VECTOR_COL), km["train_sample_rows"], km["seed"], total_rows)
    return _fit_on_persisted(kmeans, sample_df)


def _fit_on_persisted(kmeans: KMeans, vectors_df: DataFrame) -> KMeansModel:
    """Persist the (small) training vectors once, fit, unpersist. A persisted input is not cached again by Spark."""
    vectors_df = vectors_df.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return kmeans.fit(vectors_df)
    finally:
        vectors_df.unpersist()


def sample_about(df: DataFrame, rows: int, seed: int, total_rows: int | None = None) -> DataFrame:
    """A seeded Bernoulli sample of about ``rows`` rows of ``df`` (``df`` itself when it has no more).

    Counts ``df`` unless ``total_rows`` is given. The same rows come back for the same input partitioning and
    seed (Spark's ``sample``)."""
    total = df.count() if total_rows is None else total_rows
    fraction = sample_fraction(rows, total)
    return df if fraction >= 1.0 else df.sample(withReplacement=False, fraction=fraction, seed=seed)


def sample_fraction(sample_rows: int, total_rows: int) -> float:
    """Bernoulli fraction that keeps about ``sample_rows`` of ``total_rows`` (1.0 when there are no more)."""
    if sample_rows <= 0 or total_rows <= sample_rows:
        return 1.0
    return sample_rows / total_rows


# ------------------------------------------------------------------------------------------ subsampling
def keep_probability(count: int, total: int, sample: float) -> float:
    """word2vec's (and gensim's) probability of keeping one occurrence of a word seen ``count`` times among
    ``total`` training words: ``(sqrt(count / (sample * total)) + 1) * (sample * total) / count``, capped at 1."""
    threshold = sample * total
    if count <= 0 or threshold <= 0:
        return 1.0
    return min(1.0, (math.sqrt(count / threshold) + 1.0) * threshold / count)


def subsample_tokens(df: DataFrame, sample: float, min_count: int, seed: int) -> DataFrame:
    """``df`` with each occurrence of a frequent word in ``tokens`` dropped with probability
    ``1 - keep_probability`` (word2vec's subsampling; ``total`` = occurrences of the words seen at least
    ``min_count`` times, as gensim counts it).

    Only the words whose keep probability is below 1 reach the driver: they occur more than about
    2.6 x ``sample`` x ``total`` times, so there are fewer than 0.4 / ``sample`` of them whatever the input size.
    The draw for a token is a hash of a per-row ``rand(seed)`` and the token's position: the same for the same
    input partitioning and seed. Rows left with no token are dropped.

    A corpus too small for ``sample`` (``sample`` x ``total`` < ``min_count``) is returned unchanged: a subsampled
    word keeps about sqrt(count x sample x total) + sample x total occurrences, which there could fall under
    ``min_count`` and drop the word out of the vocabulary (its tokens would then not count in any vector)."""
    counts_df = (
        df.select(F.explode("tokens").alias("word")).groupBy("word").agg(F.count(F.lit(1)).alias("n"))
        .where(F.col("n") >= min_count)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    total = counts_df.agg(F.sum("n")).first()[0] or 0  # one row
    if sample * total < min_count:
        counts_df.unpersist()
        return df
    # keep_probability < 1 <=> n > threshold * (golden ratio)^2; 2.6 x threshold is a safe lower bound
    frequent = counts_df.where(F.col("n") > 2.6 * sample * total).collect()  # < 0.4 / sample rows
    counts_df.unpersist()
    probabilities = {r["word"]: keep_probability(r["n"], total, sample) for r in frequent}
    probabilities = {w: p for w, p in sorted(probabilities.items()) if p < 1.0}
    if not probabilities:
        return df
    keep = F.create_map(*[x for w, p in probabilities.items() for x in (F.lit(w), F.lit(p))])
    row_draw = F.rand(seed)
    draws_df = df.withColumn("_row_draw", row_draw)

    def kept(token: Column, position: Column) -> Column:
        uniform = F.pmod(F.xxhash64(F.col("_row_draw"), position), F.lit(1 << 24)) / float(1 << 24)
        return uniform < F.coalesce(keep[token], F.lit(1.0))

    return (
        draws_df.withColumn("tokens", F.filter(F.col("tokens"), kept))
        .where(F.size("tokens") > 0)
        .drop("_row_draw")
    )


def assign(model: PipelineModel, sentences_df: DataFrame) -> DataFrame:
    """``sentences_df`` + vector + cluster (null for sentences without an in-vocabulary token): the saved
    model's own ``transform`` (a model saved as [Word2Vec, KMeans] only is wrapped first)."""
    return as_clustering_model(model).transform(sentences_df)


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
