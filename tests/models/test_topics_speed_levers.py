"""Speed levers of the topic model (see bench/topics.py): Word2Vec subsampling, KMeans on a sample, init steps,
and the config keys that switch them."""
from __future__ import annotations

import math

import pytest
from pyspark.ml import PipelineModel
from pyspark.ml.clustering import KMeansModel
from pyspark.ml.feature import Word2VecModel
from pyspark.ml.linalg import Vectors, VectorUDT
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import config
from vocspark.config import ConfigError
from vocspark.models import topics


def params(**changes) -> dict:
    """TOPICS_SPEC defaults, small sizes for tests, plus ``section__key=value`` changes."""
    out = config.validate({"word2vec": {"vector_size": 8, "min_count": 1, "seed": 7},
                           "kmeans": {"k": 2, "max_iter": 5, "seed": 7}}, config.TOPICS_SPEC)
    for key, value in changes.items():
        section, name = key.split("__")
        out[section][name] = value
    return out


# --------------------------------------------------------------------------- config
def test_config_defaults_and_checks():
    spec = config.validate({}, config.TOPICS_SPEC)
    assert spec["word2vec"]["sample"] == 0.0
    assert spec["word2vec"]["num_partitions"] == 2
    assert spec["kmeans"]["init_steps"] == 2
    assert spec["kmeans"]["train_sample_rows"] == 200000
    with pytest.raises(ConfigError, match="sample"):
        config.validate({"word2vec": {"sample": -0.1}}, config.TOPICS_SPEC)
    with pytest.raises(ConfigError, match="init_steps"):
        config.validate({"kmeans": {"init_steps": 0}}, config.TOPICS_SPEC)
    with pytest.raises(ConfigError, match="train_sample_rows"):
        config.validate({"kmeans": {"train_sample_rows": -1}}, config.TOPICS_SPEC)


def test_build_pipeline_passes_init_steps_and_partitions(spark):
    w2v, km = topics.build_pipeline(params(kmeans__init_steps=5, word2vec__num_partitions=3)).getStages()
    assert km.getInitSteps() == 5
    assert w2v.getNumPartitions() == 3


# --------------------------------------------------------------------------- subsampling formula
def test_keep_probability_is_word2vecs_formula():
    # threshold = 0.01 * 2000 = 20; a word seen 1000 times: (sqrt(50) + 1) * 20 / 1000
    assert topics.keep_probability(1000, 2000, 0.01) == pytest.approx((math.sqrt(50) + 1) * 0.02)
    assert topics.keep_probability(20, 2000, 0.01) == 1.0  # (1 + 1) * 1 = 2, capped
    # the cap is reached exactly at count = threshold * golden ratio ^ 2
    golden2 = ((1 + math.sqrt(5)) / 2) ** 2
    assert topics.keep_probability(round(20 * golden2 * 1000), 2000 * 1000, 0.01) == pytest.approx(1.0, abs=1e-3)
    assert topics.keep_probability(0, 2000, 0.01) == 1.0
    assert topics.keep_probability(5, 0, 0.01) == 1.0


def test_keep_probability_matches_gensim():
    gensim = pytest.importorskip("gensim.models")
    sentences = [["the", f"w{i % 50}"] for i in range(1000)]
    model = gensim.Word2Vec(sentences, vector_size=4, min_count=1, sample=0.01, workers=1, epochs=1, seed=1)
    for word, count in (("the", 1000), ("w3", 20)):
        expected = topics.keep_probability(count, 2000, 0.01)
        got = model.wv.get_vecattr(word, "sample_int") / 2**32
        assert got == pytest.approx(expected, abs=1e-6)


def test_sample_fraction():
    assert topics.sample_fraction(100, 1000) == pytest.approx(0.1)
    assert topics.sample_fraction(1000, 1000) == 1.0
    assert topics.sample_fraction(5000, 1000) == 1.0
    assert topics.sample_fraction(0, 1000) == 1.0


# --------------------------------------------------------------------------- subsampling in Spark
@pytest.fixture
def frequent_df(spark):
    rows = [(i, ["the", f"w{i % 50}", "the"] if i % 2 else ["the", f"w{i % 50}"]) for i in range(1000)]
    return spark.createDataFrame(rows, "id int, tokens array<string>").repartition(2, "id")


def _token_counts(df) -> dict[str, int]:
    return {r["w"]: r["n"] for r in df.select(F.explode("tokens").alias("w")).groupBy("w").count()
            .withColumnRenamed("count", "n").collect()}


def test_subsample_tokens_drops_frequent_words_at_the_expected_rate(frequent_df):
    # "the": 1500 of 2500 tokens; threshold = 0.01 * 2500 = 25; keep = (sqrt(60) + 1) * 25 / 1500 = 0.1458
    out = topics.subsample_tokens(frequent_df, sample=0.01, min_count=1, seed=3)
    counts = _token_counts(out)
    expected = topics.keep_probability(1500, 2500, 0.01) * 1500
    sigma = math.sqrt(1500 * 0.1458 * (1 - 0.1458))
    assert abs(counts["the"] - expected) < 4 * sigma
    assert all(counts[f"w{j}"] == 20 for j in range(50))  # rare words (20 each) are all kept
    assert out.columns == frequent_df.columns


def test_subsample_tokens_is_deterministic_and_keeps_token_order(frequent_df):
    first = sorted(map(tuple, topics.subsample_tokens(frequent_df, 0.01, 1, seed=3).collect()))
    second = sorted(map(tuple, topics.subsample_tokens(frequent_df, 0.01, 1, seed=3).collect()))
    assert first == second
    for _, tokens in first:  # only "the" occurrences are removed; the rare word stays where it was
        assert [t for t in tokens if t != "the"] and all(t == "the" or t.startswith("w") for t in tokens)


def test_subsample_tokens_drops_rows_left_empty_and_ignores_rare_words_in_total(spark):
    rows = [(["a"],)] * 900 + [(["b"],)] * 100 + [(["rare"],)] * 2
    df = spark.createDataFrame(rows, "tokens array<string>")
    out = topics.subsample_tokens(df, sample=0.01, min_count=5, seed=1)
    counts = _token_counts(out)
    assert out.where(F.size("tokens") == 0).count() == 0
    assert out.count() == sum(counts.values())
    # total = 1000 ("rare" is under min_count): keep(a) = (sqrt(90) + 1) * 10 / 900 = 0.1165; b: (sqrt(10)+1)/10
    assert counts["rare"] == 2
    assert 50 < counts["a"] < 160
    assert 20 < counts["b"] < 65


def test_subsample_tokens_returns_input_when_nothing_is_frequent(spark):
    df = spark.createDataFrame([([f"w{i}"],) for i in range(100)], "tokens array<string>")
    assert topics.subsample_tokens(df, sample=0.5, min_count=1, seed=1) is df


# --------------------------------------------------------------------------- fit with the levers
@pytest.fixture
def corpus_df(spark):
    a = [["entrega", "atrasou", "pedido"], ["pedido", "atrasou"], ["entrega", "demora"]]
    b = [["preco", "caro"], ["caro", "demais", "preco"], ["preco", "alto"]]
    rows = [(f"d{i}", i, (a if i % 2 else b)[i % 3]) for i in range(600)]
    return spark.createDataFrame(rows, "doc_id string, sentence_idx int, tokens array<string>").persist()


def test_fit_with_all_levers_returns_a_pipeline_model_that_round_trips(corpus_df, tmp_path):
    p = params(word2vec__sample=0.05, word2vec__num_partitions=2, kmeans__train_sample_rows=150,
               kmeans__init_steps=3)
    model = topics.fit(corpus_df, p)
    w2v_model, km_model = topics.word2vec_stage(model), topics.kmeans_stage(model)
    assert isinstance(w2v_model, Word2VecModel) and isinstance(km_model, KMeansModel)
    assert w2v_model.getVectors().count() == 8  # subsampling keeps every word in the vocabulary
    trained_on = sum(km_model.summary.clusterSizes)
    assert 80 < trained_on < 240  # a sample of about 150 of the 600 rows
    model.write().overwrite().save(str(tmp_path / "m"))
    loaded = PipelineModel.load(str(tmp_path / "m"))
    clustered = topics.assign(loaded, corpus_df).collect()
    assert len(clustered) == 600 and all(r["cluster"] is not None for r in clustered)
    # the two planted topics end up in different clusters
    by_doc = {r["doc_id"]: r["cluster"] for r in clustered}
    assert by_doc["d1"] != by_doc["d0"]


def test_fit_without_sample_trains_kmeans_on_every_vector(corpus_df):
    model = topics.fit(corpus_df, params(kmeans__train_sample_rows=0, word2vec__num_partitions=1))
    assert sum(topics.kmeans_stage(model).summary.clusterSizes) == 600


def test_sample_larger_than_input_uses_every_row(corpus_df):
    model = topics.fit(corpus_df, params(kmeans__train_sample_rows=10_000))
    assert sum(topics.kmeans_stage(model).summary.clusterSizes) == 600


def test_sentence_vectors_keeps_the_vector_of_sentences_with_one(spark, corpus_df):
    w2v_model = topics.fit_word2vec(corpus_df, params())
    probe = spark.createDataFrame([(["preco"],), (["zzz"],), ([],), (["preco", "zzz"],)], "tokens array<string>")
    out = topics.sentence_vectors(w2v_model, probe).collect()
    assert len(out) == 2 and [c for c in topics.sentence_vectors(w2v_model, probe).columns] == [topics.VECTOR_COL]
    vec = {r["word"]: r["vector"].toArray() for r in w2v_model.getVectors().collect()}["preco"]
    got = sorted((r[topics.VECTOR_COL].toArray() for r in out), key=lambda v: abs(v).sum())
    assert got[0] == pytest.approx(vec / 2) and got[1] == pytest.approx(vec)  # OOV still counts in the divisor


def test_fit_kmeans_on_prepared_vectors_samples_and_unpersists(spark):
    schema = T.StructType([T.StructField(topics.VECTOR_COL, VectorUDT())])
    rows = [(Vectors.dense([1.0, 0.1 * (i % 3)]),) for i in range(300)] + [(Vectors.dense([0.1 * (i % 3), 1.0]),) for i in range(300)]
    vectors_df = spark.createDataFrame(rows, schema)
    persistent = spark.sparkContext._jsc.getPersistentRDDs().size()
    km_model = topics.fit_kmeans(vectors_df, params(kmeans__train_sample_rows=100), total_rows=600)
    assert 40 < sum(km_model.summary.clusterSizes) < 180
    centers = sorted(tuple(round(x) for x in c) for c in km_model.clusterCenters())
    assert centers == [(0, 1), (1, 0)]
    assert spark.sparkContext._jsc.getPersistentRDDs().size() == persistent  # the sample was unpersisted


def test_subsample_tokens_leaves_a_corpus_too_small_for_the_sample_alone(spark):
    # total 1000, sample 0.004 -> threshold 4 < min_count 5: "b" (100) could keep about sqrt(400) + 4 = 24, but a
    # smaller corpus would push subsampled words under min_count, so nothing is subsampled below that size
    rows = [(["a"],)] * 900 + [(["b"],)] * 100
    df = spark.createDataFrame(rows, "tokens array<string>")
    assert topics.subsample_tokens(df, sample=0.004, min_count=5, seed=1) is df
    assert topics.subsample_tokens(df, sample=0.005, min_count=5, seed=1) is not df  # threshold 5: subsampled
