"""The topic model's scoring rules as Spark ML stages, saved inside the ``PipelineModel``.

A trained topic model (``models/<name>/<version>/``) is::

    Word2VecModel            tokens -> vector (sum of in-vocabulary token vectors / number of all tokens)
    FlagZeroVectors          has_vector; kmeans_vector = vector, or the unit vector e0 where vector is zero
    KMeansModel              kmeans_vector -> cluster (in the JVM: the fast path)
    NullClusterWithoutVector cluster = null where not has_vector; drops has_vector and kmeans_vector

so ``PipelineModel.load(uri).transform(sentences_df)`` gives every sentence its cluster, null for a sentence none
of whose tokens is in the vocabulary. (KMeans with the cosine distance is not defined on a zero vector, so the
zero vector is swapped for a fixed unit vector before KMeans and its prediction discarded after: one pass over
the sentences instead of the two branches and union of the earlier code.)

At inference, after the analyst's mapping passed its version check, :func:`vocspark.models.topics.scoring_model`
appends:

    TopicLabels              cluster -> label, subject, category, severity (mapping) and train_size (training)
    CommentVote              sentences -> one row per comment: the predictions/topics contract columns

The rules (documented on each class) are Column expressions; the mapping is held in typed ``Param`` lists, so
the whole scoring model can be saved, loaded and audited like any other Spark ML model.
"""
from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml import Transformer
from pyspark.ml.functions import array_to_vector, vector_to_array
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

UNASSIGNED = "unassigned"


class _Stage(Transformer, DefaultParamsReadable, DefaultParamsWritable):
    """A pure-Python transformer whose state is its Params (saved as JSON by DefaultParamsWriter)."""

    def _set_kwargs(self, kwargs: dict) -> None:
        self._set(**{k: v for k, v in kwargs.items() if v is not None})


def _literal_map(keys: list[int], values: list, type_name: str) -> Column:
    """A literal map<int, type_name> (look up with ``try_element_at``: null for a missing key, ANSI mode too)."""
    if not keys:
        return F.create_map().cast(f"map<int,{type_name}>")
    return F.create_map(*[x for k, v in zip(keys, values) for x in (F.lit(k), F.lit(v))]).cast(
        f"map<int,{type_name}>")


# ------------------------------------------------------------------------------------------ clustering stages
class FlagZeroVectors(_Stage):
    """``flagCol`` (boolean): the sentence vector ``inputCol`` is not zero (some token is in the vocabulary).
    ``outputCol``: ``inputCol``, or where it is zero (or null) the unit vector (1, 0, ..., 0) of the same size, so
    the next KMeans stage (which reads ``outputCol``) can predict every row; :class:`NullClusterWithoutVector`
    then discards the prediction of the flagged rows. (A null vector is flagged too; its output stays null,
    which KMeans refuses: Word2Vec never outputs one.)"""

    inputCol = Param(Params._dummy(), "inputCol", "sentence vector column", TypeConverters.toString)
    outputCol = Param(Params._dummy(), "outputCol", "vector column fed to KMeans", TypeConverters.toString)
    flagCol = Param(Params._dummy(), "flagCol", "boolean column: the vector is not zero", TypeConverters.toString)

    @keyword_only
    def __init__(self, *, inputCol: str | None = None, outputCol: str | None = None, flagCol: str | None = None):
        super().__init__()
        self._setDefault(inputCol="vector", outputCol="kmeans_vector", flagCol="has_vector")
        self._set_kwargs(self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        vector = F.col(self.getOrDefault(self.inputCol))
        values = F.when(vector.isNotNull(), vector_to_array(vector))  # vector_to_array refuses a null
        has_vector = F.coalesce(F.exists(values, lambda x: x != 0.0), F.lit(False))
        unit = array_to_vector(F.transform(values, lambda _, i: F.when(i == 0, 1.0).otherwise(0.0)))
        return dataset.withColumns(
            {
                self.getOrDefault(self.flagCol): has_vector,
                self.getOrDefault(self.outputCol): F.when(has_vector, vector).when(vector.isNotNull(), unit),
            }
        )


class NullClusterWithoutVector(_Stage):
    """``predictionCol`` set to null where ``flagCol`` is false (the sentence had no in-vocabulary token); the
    helper columns ``dropCols`` (the flag and KMeans input of :class:`FlagZeroVectors`) are dropped."""

    predictionCol = Param(Params._dummy(), "predictionCol", "cluster column", TypeConverters.toString)
    flagCol = Param(Params._dummy(), "flagCol", "boolean column: the vector is not zero", TypeConverters.toString)
    dropCols = Param(Params._dummy(), "dropCols", "helper columns to drop", TypeConverters.toListString)

    @keyword_only
    def __init__(self, *, predictionCol: str | None = None, flagCol: str | None = None,
                 dropCols: list[str] | None = None):
        super().__init__()
        self._setDefault(predictionCol="cluster", flagCol="has_vector", dropCols=["has_vector", "kmeans_vector"])
        self._set_kwargs(self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        cluster = self.getOrDefault(self.predictionCol)
        nulled = F.when(F.col(self.getOrDefault(self.flagCol)), F.col(cluster)).cast("int")
        return dataset.withColumn(cluster, nulled).drop(*self.getOrDefault(self.dropCols))


# ------------------------------------------------------------------------------------------ scoring stages
class TopicLabels(_Stage):
    """Per sentence, from ``clusterCol``: ``label``, ``subject``, ``category`` and ``severity`` (the category's
    position in the mapping's severity order, 0 = least important) of the cluster's label in the analyst's
    mapping, all null when the cluster is null or unlabelled; and ``train_size``, the cluster's number of
    training sentences (0 for a cluster that had none, null for a null cluster), used to break ties.

    The mapping is held in parallel lists: ``clusters[i]`` has ``labels[i]``, ``subjects[i]``,
    ``categories[i]`` and ``severities[i]`` (labelled clusters only); ``trainSizes[c]`` is cluster c's size."""

    clusterCol = Param(Params._dummy(), "clusterCol", "cluster column", TypeConverters.toString)
    clusters = Param(Params._dummy(), "clusters", "labelled cluster ids", TypeConverters.toListInt)
    labels = Param(Params._dummy(), "labels", "label of clusters[i]", TypeConverters.toListString)
    subjects = Param(Params._dummy(), "subjects", "subject of clusters[i]", TypeConverters.toListString)
    categories = Param(Params._dummy(), "categories", "category of clusters[i]", TypeConverters.toListString)
    severities = Param(Params._dummy(), "severities", "severity of clusters[i]", TypeConverters.toListInt)
    trainSizes = Param(Params._dummy(), "trainSizes", "training sentences of cluster c at index c",
                       TypeConverters.toListInt)

    @keyword_only
    def __init__(self, *, clusterCol: str | None = None, clusters: list[int] | None = None,
                 labels: list[str] | None = None, subjects: list[str] | None = None,
                 categories: list[str] | None = None, severities: list[int] | None = None,
                 trainSizes: list[int] | None = None):
        super().__init__()
        self._setDefault(clusterCol="cluster", clusters=[], labels=[], subjects=[], categories=[], severities=[],
                         trainSizes=[])
        self._set_kwargs(self._input_kwargs)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        clusters = self.getOrDefault(self.clusters)
        columns = {
            "label": (self.getOrDefault(self.labels), "string"),
            "subject": (self.getOrDefault(self.subjects), "string"),
            "category": (self.getOrDefault(self.categories), "string"),
            "severity": (self.getOrDefault(self.severities), "int"),
        }
        for name, (values, _) in columns.items():
            if len(values) != len(clusters):
                raise ValueError(f"TopicLabels: {len(clusters)} clusters but {len(values)} {name} values")
        cluster = F.col(self.getOrDefault(self.clusterCol))
        out = {name: F.try_element_at(_literal_map(clusters, values, type_name), cluster)
               for name, (values, type_name) in columns.items()}
        sizes = self.getOrDefault(self.trainSizes)
        train_size = F.try_element_at(_literal_map(list(range(len(sizes))), sizes, "long"), cluster)
        out["train_size"] = F.when(cluster.isNotNull(), F.coalesce(train_size, F.lit(0).cast("long")))
        return dataset.withColumns(out)


class CommentVote(_Stage):
    """Sentences (with :class:`TopicLabels`' columns) -> one row per comment, the ``predictions/topics``
    contract columns: source, doc_id, user_id, created_at, label, subject, category, category_name, cluster_ids,
    model, model_version, month.

    Vote rule: among the comment's labelled sentences keep those of the most severe category; the label that
    occurs most often among them wins; a tie goes to the label whose cluster had more training members (the
    largest cluster that produced the label in this comment), then to the lower cluster id, then to the label
    alphabetically. A comment with no labelled sentence (only null or unlabelled clusters) gets
    ``unassignedLabel`` and null subject, category and category_name.

    ``category_name``: the winning category's display name in the comment's ``lang``
    (``nameLangs[i]``, ``nameCategories[i]`` -> ``names[i]``), else the category itself.
    ``cluster_ids``: the sentences' clusters in sentence order (null where a sentence has none).

    Two aggregations: per comment and label (votes, largest training cluster, lowest cluster id, the sentences),
    then per comment, where the winner is the minimum of a struct ordered as the rule above (no window, no join).
    """

    modelName = Param(Params._dummy(), "modelName", "model name written in `model`", TypeConverters.toString)
    modelVersion = Param(Params._dummy(), "modelVersion", "version written in `model_version`",
                         TypeConverters.toString)
    unassignedLabel = Param(Params._dummy(), "unassignedLabel", "label of a comment without a labelled sentence",
                            TypeConverters.toString)
    nameLangs = Param(Params._dummy(), "nameLangs", "language of names[i]", TypeConverters.toListString)
    nameCategories = Param(Params._dummy(), "nameCategories", "category of names[i]", TypeConverters.toListString)
    names = Param(Params._dummy(), "names", "display name of a category in a language", TypeConverters.toListString)

    DOC_COLUMNS = ("source", "doc_id", "user_id", "created_at", "month", "lang")

    @keyword_only
    def __init__(self, *, modelName: str | None = None, modelVersion: str | None = None,
                 unassignedLabel: str | None = None, nameLangs: list[str] | None = None,
                 nameCategories: list[str] | None = None, names: list[str] | None = None):
        super().__init__()
        self._setDefault(unassignedLabel=UNASSIGNED, nameLangs=[], nameCategories=[], names=[])
        self._set_kwargs(self._input_kwargs)

    def _category_name(self, category: Column) -> Column:
        langs, cats, names = (self.getOrDefault(p) for p in (self.nameLangs, self.nameCategories, self.names))
        if not (len(langs) == len(cats) == len(names)):
            raise ValueError("CommentVote: nameLangs, nameCategories and names must have the same length")
        by_lang: dict[str, list[Column]] = {}
        for lang, cat, name in zip(langs, cats, names):
            by_lang.setdefault(lang, []).extend([F.lit(cat), F.lit(name)])
        if not by_lang:
            return category
        table = F.create_map(*[x for lang, pairs in sorted(by_lang.items()) for x in (F.lit(lang), F.create_map(*pairs))])
        return F.coalesce(F.try_element_at(F.try_element_at(table, F.col("lang")), category), category)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        doc = list(self.DOC_COLUMNS)
        per_label_df = dataset.groupBy(*doc, "label").agg(
            F.count(F.lit(1)).alias("votes"),
            F.max("subject").alias("subject"),  # one subject, category and severity per label
            F.max("category").alias("category"),
            F.max("severity").alias("severity"),
            F.max("train_size").alias("train_size"),
            F.min("cluster").alias("min_cluster"),
            F.collect_list(F.struct(F.col("sentence_idx"), F.col("cluster"))).alias("members"),
        )
        # min over this struct = the winner: a labelled group first, then most severe, most votes, largest
        # training cluster, lowest cluster id, label alphabetically (a cluster has one label, so this is total)
        rank = F.struct(
            F.col("label").isNull().alias("is_unlabelled"),
            (-F.col("severity")).alias("severity_desc"),
            (-F.col("votes")).alias("votes_desc"),
            (-F.coalesce(F.col("train_size"), F.lit(0))).alias("train_size_desc"),
            F.col("min_cluster"),
            F.col("label"),
            F.col("subject"),
            F.col("category"),
        )
        winners_df = per_label_df.groupBy(*doc).agg(
            F.min(rank).alias("winner"),
            F.array_sort(F.flatten(F.collect_list("members"))).alias("members"),
        )
        return winners_df.select(
            "source", "doc_id", "user_id", "created_at",
            F.coalesce(F.col("winner.label"), F.lit(self.getOrDefault(self.unassignedLabel))).alias("label"),
            F.col("winner.subject").alias("subject"),
            F.col("winner.category").alias("category"),
            self._category_name(F.col("winner.category")).alias("category_name"),
            F.transform("members", lambda m: m["cluster"]).cast("array<int>").alias("cluster_ids"),
            F.lit(self.getOrDefault(self.modelName)).alias("model"),
            F.lit(self.getOrDefault(self.modelVersion)).alias("model_version"),
            "month",
        )
