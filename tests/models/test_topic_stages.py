"""The topic model's scoring stages: each one survives save and load inside a PipelineModel, and a saved scoring
model alone (no job code) turns a ``sentences`` DataFrame into the predictions/topics contract."""
from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.ml import PipelineModel
from pyspark.ml.linalg import Vectors, VectorUDT
from pyspark.sql import types as T

from vocspark import config
from vocspark.models import topics
from vocspark.models.topic_mapping import UNASSIGNED, parse_mapping
from vocspark.models.topic_stages import CommentVote, FlagZeroVectors, NullClusterWithoutVector, TopicLabels
from vocspark.schemas import PREDICTIONS_TOPICS, SENTENCES

pytestmark = pytest.mark.usefixtures("small_plans")

TS = dt.datetime(2021, 5, 1, 12)
TOPIC_A = ["entrega", "atrasou", "pedido"]
TOPIC_B = ["preco", "caro", "demais"]
TOPIC_C = ["loja", "linda", "adorei"]


def params() -> dict:
    return config.validate({"word2vec": {"vector_size": 8, "min_count": 1, "seed": 7, "num_partitions": 1},
                            "kmeans": {"k": 3, "max_iter": 20, "seed": 7, "train_sample_rows": 0}},
                           config.TOPICS_SPEC)


@pytest.fixture(scope="module")
def base_model(spark):
    topics_ = [TOPIC_A, TOPIC_B, TOPIC_C]
    rows = [(f"d{i}", 0, topics_[i % 3][: 2 + i % 2]) for i in range(900)]
    corpus_df = spark.createDataFrame(rows, "doc_id string, sentence_idx int, tokens array<string>").persist()
    model = topics.fit(corpus_df, params())
    corpus_df.unpersist()
    return model


@pytest.fixture(scope="module")
def topic_clusters(spark, base_model):
    """The cluster of each planted topic (the three must differ: the corpus is built so that they do)."""
    probe = spark.createDataFrame([(TOPIC_A,), (TOPIC_B,), (TOPIC_C,)], "tokens array<string>")
    got = [r["cluster"] for r in base_model.transform(probe).collect()]
    assert len(set(got)) == 3, got
    return dict(zip("abc", got))


def sentences(spark, rows):
    """rows: (doc_id, sentence_idx, lang, tokens) -> a SENTENCES DataFrame."""
    return spark.createDataFrame(
        [("instagram", d, i, f"user_{d}", TS, "2021-05", lang, " ".join(tokens), tokens) for d, i, lang, tokens in rows],
        SENTENCES,
    )


# --------------------------------------------------------------------------- clustering stages
def test_saved_topic_model_gives_a_null_cluster_to_zero_vectors(spark, base_model, tmp_path):
    assert [type(s).__name__ for s in base_model.stages] == [
        "Word2VecModel", "FlagZeroVectors", "KMeansModel", "NullClusterWithoutVector"]
    base_model.write().overwrite().save(str(tmp_path / "m"))
    loaded = PipelineModel.load(str(tmp_path / "m"))
    assert [type(s).__name__ for s in loaded.stages] == [type(s).__name__ for s in base_model.stages]
    probe = spark.createDataFrame(
        [("a", TOPIC_A), ("oov", ["zzz", "yyy"]), ("empty", []), ("half", ["preco", "zzz"])],
        "doc_id string, tokens array<string>")
    out = loaded.transform(probe)
    assert out.columns == ["doc_id", "tokens", "vector", "cluster"]
    got = {r["doc_id"]: r["cluster"] for r in out.collect()}
    assert got["oov"] is None and got["empty"] is None
    assert got["a"] is not None and got["half"] is not None
    assert {r["doc_id"]: r["cluster"] for r in base_model.transform(probe).collect()} == got


def test_flag_zero_vectors_swaps_only_zero_vectors_and_round_trips(spark, tmp_path):
    schema = T.StructType([T.StructField("id", T.StringType()), T.StructField("v", VectorUDT(), True)])
    df = spark.createDataFrame(
        [("zero", Vectors.dense([0.0, 0.0, 0.0])), ("neg", Vectors.dense([0.0, -0.5, 0.0])),
         ("sparse", Vectors.sparse(3, [2], [2.0])), ("null", None)], schema)
    stage = FlagZeroVectors(inputCol="v", outputCol="k", flagCol="ok")
    PipelineModel(stages=[stage]).write().overwrite().save(str(tmp_path / "flag"))
    loaded = PipelineModel.load(str(tmp_path / "flag")).stages[0]
    assert isinstance(loaded, FlagZeroVectors)
    assert (loaded.getOrDefault("inputCol"), loaded.getOrDefault("outputCol"), loaded.getOrDefault("flagCol")) == ("v", "k", "ok")
    got = {r["id"]: (r["ok"], r["k"]) for r in loaded.transform(df).collect()}
    assert got["zero"] == (False, Vectors.dense([1.0, 0.0, 0.0]))
    assert got["neg"] == (True, Vectors.dense([0.0, -0.5, 0.0]))
    assert got["sparse"][0] is True and list(got["sparse"][1].toArray()) == [0.0, 0.0, 2.0]
    assert got["null"][0] is False


def test_null_cluster_without_vector_round_trips(spark, tmp_path):
    df = spark.createDataFrame([("a", 3, True, 1), ("b", 0, False, 2), ("c", None, True, 3)],
                               "id string, c int, f boolean, helper int")
    stage = NullClusterWithoutVector(predictionCol="c", flagCol="f", dropCols=["f", "helper"])
    PipelineModel(stages=[stage]).write().overwrite().save(str(tmp_path / "null"))
    loaded = PipelineModel.load(str(tmp_path / "null"))
    expected = spark.createDataFrame([("a", 3), ("b", None), ("c", None)], "id string, c int")
    assert_df_equality(loaded.transform(df), expected, ignore_row_order=True, ignore_nullable=True)


# --------------------------------------------------------------------------- scoring stages
def test_topic_labels_round_trips_and_maps_clusters(spark, tmp_path):
    stage = TopicLabels(clusters=[0, 2], labels=["x", "y"], subjects=["sx", "sy"], categories=["praise", "problem"],
                        severities=[0, 2], trainSizes=[10, 20, 30])
    PipelineModel(stages=[stage]).write().overwrite().save(str(tmp_path / "labels"))
    loaded = PipelineModel.load(str(tmp_path / "labels")).stages[0]
    assert loaded.getOrDefault("clusters") == [0, 2] and loaded.getOrDefault("trainSizes") == [10, 20, 30]
    df = spark.createDataFrame([(0,), (1,), (2,), (None,), (7,)], "cluster int")
    expected = spark.createDataFrame(
        [(0, "x", "sx", "praise", 0, 10), (1, None, None, None, None, 20), (2, "y", "sy", "problem", 2, 30),
         (None, None, None, None, None, None), (7, None, None, None, None, 0)],
        "cluster int, label string, subject string, category string, severity int, train_size long")
    assert_df_equality(loaded.transform(df), expected, ignore_row_order=True, ignore_nullable=True)


def test_comment_vote_round_trips_with_its_params(spark, tmp_path):
    stage = CommentVote(modelName="m", modelVersion="v", nameLangs=["pt"], nameCategories=["problem"],
                        names=["problema"])
    PipelineModel(stages=[stage]).write().overwrite().save(str(tmp_path / "vote"))
    loaded = PipelineModel.load(str(tmp_path / "vote")).stages[0]
    assert isinstance(loaded, CommentVote)
    assert {p: loaded.getOrDefault(p) for p in ("modelName", "modelVersion", "unassignedLabel", "names")} == {
        "modelName": "m", "modelVersion": "v", "unassignedLabel": UNASSIGNED, "names": ["problema"]}
    df = spark.createDataFrame(
        [("s", "d", 1, "u", TS, "2021-05", "pt", 4, "x", "sx", "problem", 2, 5),
         ("s", "d", 0, "u", TS, "2021-05", "pt", None, None, None, None, None, None),
         ("s", "e", 0, "u", TS, "2021-05", "es", 4, "x", "sx", "problem", 2, 5)],
        "source string, doc_id string, sentence_idx int, user_id string, created_at timestamp, month string, "
        "lang string, cluster int, label string, subject string, category string, severity int, train_size long")
    got = {r["doc_id"]: r.asDict() for r in loaded.transform(df).collect()}
    assert got["d"]["category_name"] == "problema" and got["d"]["cluster_ids"] == [None, 4]
    assert got["e"]["category_name"] == "problem"  # no name in that language: the category itself
    assert got["d"]["model"] == "m" and got["d"]["model_version"] == "v" and got["d"]["label"] == "x"


# --------------------------------------------------------------------------- the saved scoring model alone
def test_loaded_scoring_model_yields_the_predictions_contract(spark, base_model, topic_clusters, tmp_path):
    a, b, c = topic_clusters["a"], topic_clusters["b"], topic_clusters["c"]
    mapping = parse_mapping({
        "model": "instagram", "model_version": "v1", "categories": ["praise", "complaint", "problem"],
        "labels": {"entrega_problema": {"subject": "entrega", "category": "problem"},
                   "preco_problema": {"subject": "preco", "category": "problem"}},
        "clusters": {a: "entrega_problema", b: "preco_problema", c: None},
    })
    sizes = {str(a): 10, str(b): 90, str(c): 5}  # preco's cluster had more training members
    model = topics.scoring_model(base_model, mapping, sizes, "instagram", "v1")
    model.write().overwrite().save(str(tmp_path / "scoring"))
    loaded = PipelineModel.load(str(tmp_path / "scoring"))

    sentences_df = sentences(spark, [
        ("tie", 0, "pt", TOPIC_A), ("tie", 1, "pt", TOPIC_B),          # 1 vote each: the bigger cluster wins
        ("mode", 0, "pt", TOPIC_A), ("mode", 1, "pt", TOPIC_B), ("mode", 2, "pt", TOPIC_A),  # 2 x 1
        ("zero", 0, "pt", ["zzz"]), ("zero", 1, "pt", []),             # no in-vocabulary token at all
        ("unlabelled", 0, "es", TOPIC_C),                               # only an unlabelled cluster
        ("mixed", 1, "es", ["zzz"]), ("mixed", 0, "es", TOPIC_C), ("mixed", 2, "es", TOPIC_A),
    ])
    out = loaded.transform(sentences_df)
    assert out.columns == [f.name for f in PREDICTIONS_TOPICS.fields]
    row = (lambda doc, label, subject, category, name, clusters:
           ("instagram", doc, f"user_{doc}", TS, label, subject, category, name, clusters, "instagram", "v1", "2021-05"))
    expected = spark.createDataFrame([
        row("tie", "preco_problema", "preco", "problem", "problema", [a, b]),
        row("mode", "entrega_problema", "entrega", "problem", "problema", [a, b, a]),
        row("zero", UNASSIGNED, None, None, None, [None, None]),
        row("unlabelled", UNASSIGNED, None, None, None, [c]),
        row("mixed", "entrega_problema", "entrega", "problem", "problema", [c, None, a]),
    ], PREDICTIONS_TOPICS)
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_scoring_model_wraps_a_model_saved_before_the_rules_were_stages(spark, base_model, topic_clusters, tmp_path):
    legacy = PipelineModel(stages=[topics.word2vec_stage(base_model), topics.kmeans_stage(base_model).copy()])
    topics.kmeans_stage(legacy).setFeaturesCol(topics.VECTOR_COL)
    legacy.write().overwrite().save(str(tmp_path / "legacy"))
    loaded = PipelineModel.load(str(tmp_path / "legacy"))
    probe = spark.createDataFrame([(TOPIC_B,), (["zzz"],)], "tokens array<string>")
    assert [r["cluster"] for r in topics.assign(loaded, probe).collect()] == [topic_clusters["b"], None]
