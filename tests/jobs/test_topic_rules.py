"""Comment labelling rules (severity, mode, ties) as the saved stages apply them (TopicLabels + CommentVote of
vocspark.models.topic_stages), the job's comments without sentences, the analyst mapping, and the c-TF-IDF /
quality helpers."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml
from chispa import assert_df_equality
from pyspark.ml.linalg import Vectors, VectorUDT
from pyspark.sql import functions as F
from pyspark.sql import types as T

from pyspark.ml import PipelineModel

from vocspark.config import ConfigError
from vocspark.jobs import infer_topics
from vocspark.models import topics
from vocspark.models.topic_mapping import MappingVersionError, UNASSIGNED, parse_mapping, skeleton
from vocspark.models.topic_stages import FlagZeroVectors
from vocspark.schemas import PREDICTIONS_TOPICS, conform

MAPPING = {
    "model": "instagram",
    "model_version": "v1",
    "categories": ["praise", "complaint", "problem"],
    "category_names": {"pt": {"praise": "elogio", "complaint": "reclamação", "problem": "problema"}},
    "labels": {
        "loja_elogio": {"subject": "loja", "category": "praise"},
        "reembolso_reclamacao": {"subject": "reembolso", "category": "complaint"},
        "entrega_problema": {"subject": "entrega", "category": "problem"},
        "produto_problema": {"subject": "produto", "category": "problem"},
        "preco_reclamacao": {"subject": "preco", "category": "complaint"},
    },
    "clusters": {0: "loja_elogio", 1: "reembolso_reclamacao", 2: "entrega_problema", 3: "produto_problema",
                 4: "preco_reclamacao", 5: None, 6: "entrega_problema"},
}
SIZES = {0: 50, 1: 40, 2: 30, 3: 30, 4: 10, 5: 5, 6: 80}
CLUSTERED = T.StructType(
    [
        T.StructField("doc_id", T.StringType(), False),
        T.StructField("sentence_idx", T.IntegerType(), False),
        T.StructField("cluster", T.IntegerType(), True),
    ]
)


@pytest.fixture
def mapping():
    return parse_mapping(MAPPING)


TS = dt.datetime(2021, 5, 1, 12)


def labelling(mapping):
    """The stages infer_topics appends to the saved model: cluster -> label, then the comment vote."""
    return PipelineModel(stages=topics.labelling_stages(mapping, SIZES, "instagram", "v1"))


def with_comment_columns(clustered):
    return clustered.withColumns({"source": F.lit("instagram"), "user_id": F.lit("u"), "created_at": F.lit(TS),
                                  "month": F.lit("2021-05"), "lang": F.lit("pt")})


def winners(spark, mapping, rows):
    """Labelled comments only (as the old comment_labels returned): unassigned ones are left out."""
    clustered = with_comment_columns(spark.createDataFrame(rows, CLUSTERED))
    out = labelling(mapping).transform(clustered)
    return {r["doc_id"]: r["label"] for r in out.collect() if r["label"] != UNASSIGNED}


def test_original_portuguese_example_is_labelled_with_the_problem(spark, mapping):
    # "Nunca tive problema com a Loja. Quero meu dinheiro de volta! Não entregaram meu produto"
    # -> praise (loja), complaint (reembolso), problem (entrega): the comment is the problem.
    got = winners(spark, mapping, [("c1", 0, 0), ("c1", 1, 1), ("c1", 2, 2)])
    assert got == {"c1": "entrega_problema"}


def test_mode_within_the_most_severe_category(spark, mapping):
    rows = [
        ("m", 0, 1), ("m", 1, 1), ("m", 2, 1),  # three complaints ...
        ("m", 3, 3), ("m", 4, 2), ("m", 5, 3),  # ... lose to problems; among problems produto 2 x entrega 1
        ("p", 0, 0), ("p", 1, 0), ("p", 2, 1),  # complaint beats two praises
    ]
    assert winners(spark, mapping, rows) == {"m": "produto_problema", "p": "reembolso_reclamacao"}


def test_ties_go_to_the_bigger_training_cluster_then_lower_id(spark, mapping):
    rows = [
        ("t1", 0, 2), ("t1", 1, 3),  # entrega (cluster 2, 30) vs produto (cluster 3, 30): same size -> lower id 2
        ("t2", 0, 6), ("t2", 1, 3),  # entrega via cluster 6 (80 members) beats produto (30)
        ("t3", 0, 1), ("t3", 1, 4),  # reembolso (40) beats preco (10)
    ]
    assert winners(spark, mapping, rows) == {"t1": "entrega_problema", "t2": "entrega_problema", "t3": "reembolso_reclamacao"}


def test_unlabelled_and_null_clusters_do_not_vote(spark, mapping):
    rows = [("u", 0, 5), ("u", 1, None), ("v", 0, 5), ("v", 1, 0)]
    assert winners(spark, mapping, rows) == {"v": "loja_elogio"}


def test_predictions_mark_comments_without_labels_unassigned(spark, mapping):
    ts = TS
    docs = spark.createDataFrame(
        [("instagram", "a", "ana", ts, "2021-05", "pt"), ("instagram", "b", "bia", ts, "2021-05", "pt"),
         ("instagram", "c", None, ts, "2021-05", "pt")],
        "source string, doc_id string, user_id string, created_at timestamp, month string, lang string",
    )
    clustered = spark.createDataFrame([("a", 1, 2), ("a", 0, 0), ("b", 0, 5), ("b", 1, None)], CLUSTERED)
    sentences = clustered.join(docs, "doc_id")
    scored = conform(labelling(mapping).transform(sentences), PREDICTIONS_TOPICS)
    without = conform(infer_topics.without_sentences(docs, sentences, "instagram", "v1"), PREDICTIONS_TOPICS)
    expected = spark.createDataFrame(
        [
            ("instagram", "a", "ana", ts, "entrega_problema", "entrega", "problem", "problema", [0, 2], "instagram", "v1", "2021-05"),
            ("instagram", "b", "bia", ts, UNASSIGNED, None, None, None, [5, None], "instagram", "v1", "2021-05"),
            ("instagram", "c", None, ts, UNASSIGNED, None, None, None, [], "instagram", "v1", "2021-05"),
        ],
        PREDICTIONS_TOPICS,
    )
    assert_df_equality(scored.unionByName(without), expected, ignore_row_order=True, ignore_nullable=True)


def test_unlabelled_cluster_report_counts(spark, mapping):
    predictions = spark.createDataFrame([("a", [5]), ("b", [5, 0]), ("c", [0]), ("d", [None]), ("e", [])],
                                        "doc_id string, cluster_ids array<int>")
    rows = infer_topics.unlabelled_clusters(predictions, mapping).collect()
    assert [(r["cluster"], r["sentences"]) for r in rows] == [(5, 2)]


# --------------------------------------------------------------------------- mapping
def test_mapping_version_mismatch_is_an_error(mapping):
    mapping.check_model("instagram", "v1", k=7)
    with pytest.raises(MappingVersionError, match="written for model version `v1`.*version `v2`"):
        mapping.check_model("instagram", "v2")
    with pytest.raises(MappingVersionError, match="model `instagram`, not `tweets`"):
        mapping.check_model("tweets", "v1")
    with pytest.raises(ConfigError, match=r"`clusters\.5` is not a cluster of a 5-cluster model"):
        mapping.check_model("instagram", "v1", k=5)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"labels": {"x": {"subject": "s", "category": "urgent"}}}, r"`labels\.x\.category` is `urgent`"),
        ({"clusters": {0: "nope"}}, r"`clusters\.0` names label `nope`"),
        ({"clusters": {"zero": None}}, r"`clusters\.zero` must be a cluster id"),
        ({"categories": ["a", "a"]}, r"without repeats"),
        ({"labels": {UNASSIGNED: {"subject": "s", "category": "praise"}}}, r"reserved"),
        ({"extra": 1}, r"unknown key `extra`"),
        ({"model_version": None}, r"missing required key `model_version`"),
    ],
)
def test_bad_mapping_names_the_key(change, message):
    data = {**MAPPING, **change}
    with pytest.raises(ConfigError, match=message):
        parse_mapping(data)


def test_severity_order_and_display_names(mapping):
    assert [mapping.severity(c) for c in ("praise", "complaint", "problem")] == [0, 1, 2]
    assert mapping.display_name("complaint", "pt") == "reclamação"
    assert mapping.display_name("complaint", "es") == "queja"


def test_skeleton_round_trips_into_a_valid_mapping():
    text = skeleton("instagram", "v9", [{"cluster": 1, "size": 3, "top_terms": ["entrega", "atraso"], "examples": ["Chegou tarde"]},
                                        {"cluster": 0, "size": 5, "top_terms": ["loja"], "examples": []}])
    parsed = parse_mapping(yaml.safe_load(text))
    assert parsed.model_version == "v9" and parsed.clusters == {0: None, 1: None}
    assert "entrega, atraso" in text


# --------------------------------------------------------------------------- model helpers
def test_sentence_vector_rule_oov_counts_in_the_divisor(spark):
    """Spark ML Word2Vec: sum of in-vocabulary vectors / number of all tokens; all-OOV -> zero vector."""
    from pyspark.ml.feature import Word2Vec

    corpus = spark.createDataFrame([(["a", "b"],)] * 20 + [(["b", "c"],)] * 20, "tokens array<string>")
    model = Word2Vec(inputCol="tokens", outputCol="vector", vectorSize=4, minCount=1, seed=1).fit(corpus)
    vectors = {r["word"]: r["vector"].toArray() for r in model.getVectors().collect()}
    probe = spark.createDataFrame([(["a", "zzz"],), (["a"],), (["zzz"],), ([],)], "tokens array<string>")
    flagged = FlagZeroVectors(inputCol="vector", outputCol="kmeans_vector", flagCol="has_vector").transform(
        model.transform(probe))
    out = [r["vector"].toArray() for r in flagged.collect()]
    assert out[0] == pytest.approx(vectors["a"] / 2)
    assert out[1] == pytest.approx(vectors["a"])
    assert list(out[2]) == [0.0] * 4 and list(out[3]) == [0.0] * 4
    flags = [r["has_vector"] for r in flagged.collect()]
    assert flags == [True, True, False, False]


def test_distinctive_terms_prefer_concentrated_terms(spark):
    rows = [(0, ["entrega", "atrasou", "loja"])] * 5 + [(1, ["preco", "caro", "loja"])] * 5
    df = spark.createDataFrame(rows, "cluster int, tokens array<string>")
    top = topics.distinctive_terms(df, 5).collect()
    by_cluster = {c: [r["term"] for r in sorted(top, key=lambda r: r["rank"]) if r["cluster"] == c] for c in (0, 1)}
    # equal scores and counts: alphabetical; the term shared by both clusters ranks last
    assert by_cluster[0] == ["atrasou", "atrasou loja", "entrega", "entrega atrasou", "loja"]
    assert by_cluster[1] == ["caro", "caro loja", "preco", "preco caro", "loja"]


def test_example_sentences_are_nearest_to_centroid(spark):
    schema = T.StructType([
        T.StructField("cluster", T.IntegerType()), T.StructField("doc_id", T.StringType()),
        T.StructField("sentence_idx", T.IntegerType()), T.StructField("sentence", T.StringType()),
        T.StructField(topics.VECTOR_COL, VectorUDT()),
    ])
    df = spark.createDataFrame(
        [(0, "far", 0, "far", Vectors.dense([0.0, 1.0])), (0, "near", 0, "near", Vectors.dense([1.0, 0.1])),
         (0, "exact", 0, "exact", Vectors.dense([2.0, 0.0]))], schema)
    got = [r["doc_id"] for r in topics.example_sentences(df, [[1.0, 0.0]], 2, "cosine").orderBy("rank").collect()]
    assert got == ["exact", "near"]
    got = [r["doc_id"] for r in topics.example_sentences(df, [[1.0, 0.0]], 2, "euclidean").orderBy("rank").collect()]
    assert got == ["near", "exact"]


def test_contingency_quality_purity_and_ari():
    perfect = topics.contingency_quality([(0, "a", 10), (1, "b", 10)])
    assert perfect["purity"] == 1.0 and perfect["adjusted_rand_index"] == pytest.approx(1.0)
    mixed = topics.contingency_quality([(0, "a", 5), (0, "b", 5), (1, "a", 5), (1, "b", 5)])
    assert mixed["purity"] == 0.5 and mixed["adjusted_rand_index"] <= 0.0
    # sklearn.metrics.adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.24242424...
    table = [(0, "x", 2), (0, "y", 1), (1, "y", 1), (1, "z", 2)]
    assert topics.contingency_quality(table)["adjusted_rand_index"] == pytest.approx(0.242424, abs=1e-6)
