"""Stemming: the project's stemmers give exactly what the snowballstemmer library gives for en (english), pt
(portuguese) and es (spanish), one token at a time and through the Arrow arrays (per token language); nulls,
empty strings, emoji and languages without a stemmer pass through; and the engines stem end to end."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import snowballstemmer
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark.text import engines
from vocspark.text.options import TextOptions
from vocspark.text.stem import ALGORITHMS, stem, stem_array, stem_list_array, stemmer

# Real words, many with accents (and ç, ñ, ü), as the preprocess tokens them (lower case).
WORDS = {
    "en": ["refunded", "deliveries", "delivery", "running", "stopped", "generalization", "relational", "days",
           "happily", "cancelled", "broken", "is", "ok", "café", "naïve", "résumé", "fiancée", "déjà", "don't"],
    "pt": ["devoluções", "devolução", "atenção", "não", "péssimo", "péssima", "rápidas", "rapidamente",
           "cartões", "lençóis", "pão", "ótimo", "entregaram", "entrega", "você", "açúcar", "coração",
           "informações", "atendimento", "lojas", "animais", "gostei", "chegou", "bonitinho", "felicidade"],
    "es": ["envíos", "envío", "rápidamente", "llegó", "compré", "devolución", "devoluciones", "niño",
           "pingüino", "sí", "está", "años", "camión", "pedidos", "atención", "días", "luces", "felicidad",
           "entregado", "esperando", "tiendas"],
}
PASS_THROUGH = ["", "😀", "👍🏽", "❤️", "x"]


def library(word: str, lang: str) -> str:
    """The library's own output, built here independently of the project's cache."""
    return snowballstemmer.stemmer({"en": "english", "pt": "portuguese", "es": "spanish"}[lang]).stemWord(word)


def test_languages_use_the_snowball_algorithms():
    assert ALGORITHMS == {"en": "english", "pt": "portuguese", "es": "spanish"}
    assert set(ALGORITHMS.values()) <= set(snowballstemmer.algorithms())


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_stem_equals_the_library(lang):
    words = WORDS[lang]
    assert [stem(w, lang) for w in words] == [library(w, lang) for w in words]
    # the words really are stemmed (a pass-through would fail here)
    assert sum(stem(w, lang) != w for w in words) >= len(words) // 2


def test_a_few_stems_by_hand():
    """Anchors that do not go through the library: the Snowball stems of well-known words."""
    got = [stem("generalization", "en"), stem("days", "en"), stem("devoluções", "pt"), stem("lojas", "pt"),
           stem("envíos", "es"), stem("rápidamente", "es")]
    assert got == ["general", "day", "devolu", "loj", "envi", "rapid"]


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_stem_array_equals_the_library(lang):
    words = WORDS[lang] + WORDS[lang][:3]  # repeats: stemmed once, mapped back to every position
    got = stem_array(pa.array(words), pa.array([lang] * len(words))).to_pylist()
    assert got == [library(w, lang) for w in words]


def test_stem_array_uses_each_tokens_language():
    tokens = pa.array(["running", "devoluções", "envíos", "running", "running", "envíos", "running"])
    langs = pa.array(["en", "pt", "es", "pt", "fr", "pt", None])
    expected = ["run", "devolu", "envi", library("running", "pt"), "running", library("envíos", "pt"), "running"]
    assert stem_array(tokens, langs).to_pylist() == expected
    assert expected[3] != "run"  # the same word stems differently per language


def test_nulls_empty_strings_and_emoji_pass_through():
    n = len(PASS_THROUGH)
    for lang in ("en", "pt", "es", "fr", None):
        tokens = pa.array(PASS_THROUGH + [None], pa.string())
        got = stem_array(tokens, pa.array([lang] * (n + 1), pa.string())).to_pylist()
        assert got == PASS_THROUGH + [None], lang
        if lang in ALGORITHMS:
            assert [library(w, lang) for w in PASS_THROUGH] == PASS_THROUGH
    assert stem("running", "fr") == "running"
    assert stem_array(pa.array([], pa.string()), pa.array([], pa.string())).to_pylist() == []


def test_stem_list_array_keeps_lists_and_nulls():
    lists = pa.array([["cats", "running"], [], None, ["lojas", "😀", ""]], pa.list_(pa.string()))
    got = stem_list_array(lists, pa.array(["en", "en", "en", "pt"])).to_pylist()
    assert got == [["cat", "run"], [], None, ["loj", "😀", ""]]
    sliced = stem_list_array(lists.slice(2), pa.array(["en", "pt"])).to_pylist()
    assert sliced == [None, ["loj", "😀", ""]]


def test_stemmers_are_built_once_per_process():
    assert stemmer("pt") is stemmer("pt")
    assert stemmer("en") is not stemmer("es")
    assert stemmer("fr") is None
    built = stemmer.cache_info().currsize
    stem_array(pa.array(WORDS["es"]), pa.array(["es"] * len(WORDS["es"])))
    assert stemmer.cache_info().currsize == built


# ------------------------------------------------------------------------------------------ end to end
TS = dt.datetime(2021, 3, 4, 5, 6, 7)
SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("doc_id", T.StringType(), False),
        T.StructField("user_id", T.StringType(), True),
        T.StructField("created_at", T.TimestampType(), False),
        T.StructField("month", T.StringType(), False),
        T.StructField("lang", T.StringType(), False),
        T.StructField("text", T.StringType(), True),
    ]
)
DOCS = [
    ("en", "The deliveries were cancelled. Refunded happily, days later 😀"),
    ("pt", "Ótimo atendimento! Devoluções rápidas e lojas organizadas, não gostei do pão."),
    ("es", "El envío llegó rápidamente. Los pedidos y las devoluciones, sí."),
    ("fr", "Les livraisons étaient annulées"),
    ("pt", None),
    ("es", ""),
    ("en", "😀 👍🏽"),
]
OPTIONS = TextOptions(remove_stopwords=False, stemming=True, min_token_chars=1)


@pytest.fixture(scope="module")
def docs_df(spark):
    rows = [("s", f"d{i}", "u1", TS, "2021-03", lang, text) for i, (lang, text) in enumerate(DOCS)]
    return spark.createDataFrame(rows, SCHEMA).coalesce(1)


def _expected_tokens(unstemmed_df, column):
    """The unstemmed tokens of ``column`` stemmed by the library (languages without a stemmer unchanged)."""
    out = []
    for row in unstemmed_df.select("doc_id", "lang", column).collect():
        lang, tokens = row["lang"], row[column]
        stemmed = None if tokens is None else [library(t, lang) if lang in ALGORITHMS else t for t in tokens]
        out.append((row["doc_id"], stemmed))
    return out


@pytest.mark.parametrize("engine", ["arrow", "sql"])
def test_engine_stems_documents_like_the_library(spark, docs_df, engine):
    unstemmed_df = engines.with_document_features(docs_df, TextOptions(remove_stopwords=False, min_token_chars=1))
    expected_df = spark.createDataFrame(
        _expected_tokens(unstemmed_df, "tokens"), "doc_id string, tokens array<string>"
    )
    got_df = engines.with_text_features(docs_df, OPTIONS, engine)
    assert_df_equality(
        got_df.select("doc_id", "tokens"), expected_df, ignore_row_order=True, ignore_nullable=True
    )
    # sentences carry the same stems as the document
    sentence_tokens_df = got_df.select("doc_id", F.flatten(F.col("sentences.tokens")).alias("tokens"))
    assert_df_equality(sentence_tokens_df, expected_df, ignore_row_order=True, ignore_nullable=True)
    rows = {r["doc_id"]: r["tokens"] for r in expected_df.collect()}
    assert rows["d1"][:2] == ["ótim", "atend"] and rows["d2"][1] == "envi"  # the data does get stemmed
    assert rows["d3"] == ["les", "livraisons", "étaient", "annulées"]


def test_arrow_sentence_rows_are_stemmed_like_the_library(spark, docs_df):
    options = TextOptions(remove_stopwords=False, min_token_chars=1)
    unstemmed_df = engines.sentence_rows(docs_df, options, "arrow")
    keyed_df = unstemmed_df.select(
        F.concat_ws("#", "doc_id", F.col("sentence_idx").cast("string")).alias("doc_id"), "lang", "tokens"
    )
    expected_df = spark.createDataFrame(_expected_tokens(keyed_df, "tokens"), "key string, tokens array<string>")
    got_df = engines.sentence_rows(docs_df, OPTIONS, "arrow").select(
        F.concat_ws("#", "doc_id", F.col("sentence_idx").cast("string")).alias("key"), "tokens"
    )
    assert expected_df.count() == 8  # 2 + 2 + 2 + 1 sentences, none for null and empty text, 1 of emoji
    assert_df_equality(got_df, expected_df, ignore_row_order=True, ignore_nullable=True)
