"""Stopwords (per row language, Spark's own lists shipped as package data) and the minimum token length."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark.text import arrow
from vocspark.text import columns as C
from vocspark.text.rules import LANGS
from vocspark.text.stopwords import spark_default_stopwords, stopwords

TOKENS = T.ArrayType(T.StringType(), False)
SCHEMA = T.StructType(
    [
        T.StructField("id", T.IntegerType(), False),
        T.StructField("lang", T.StringType(), False),
        T.StructField("tokens", TOKENS, True),
    ]
)
ROWS = [
    (1, "en", ["i", "don't", "like", "the", "de", "produto", "it's", "broken"]),
    (2, "pt", ["eu", "não", "gostei", "do", "the", "produto", "de", "você"]),
    (3, "es", ["el", "envío", "no", "llegó", "the", "de", "nada"]),
    (4, "fr", ["le", "the", "de", "produit"]),  # no list for fr: nothing removed
    (5, "en", []),
    (6, "pt", None),
]


@pytest.mark.parametrize("lang", LANGS)
def test_package_lists_equal_sparks_defaults(spark, lang):
    assert list(stopwords(lang)) == spark_default_stopwords(lang)


def test_remove_stopwords_follows_each_rows_language(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    got_df = df.select("id", "lang", C.remove_stopwords(F.col("tokens"), F.col("lang")).alias("tokens"))
    expected_df = spark.createDataFrame(
        [
            (1, "en", ["like", "de", "produto", "broken"]),
            (2, "pt", ["gostei", "the", "produto"]),
            (3, "es", ["envío", "llegó", "the"]),
            (4, "fr", ["le", "the", "de", "produit"]),
            (5, "en", []),
            (6, "pt", None),
        ],
        SCHEMA,
    )
    assert_df_equality(got_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_filter_short_tokens_counts_characters_not_bytes(spark):
    df = spark.createDataFrame([(1, "pt", ["a", "é", "ão", "não", "ok", "x"]), (2, "en", [])], SCHEMA)
    got = {r["id"]: r["t"] for r in df.select("id", C.filter_short_tokens(F.col("tokens"), 2).alias("t")).collect()}
    assert got == {1: ["ão", "não", "ok"], 2: []}
    got3 = {r["id"]: r["t"] for r in df.select("id", C.filter_short_tokens(F.col("tokens"), 3).alias("t")).collect()}
    assert got3 == {1: ["não"], 2: []}


def test_arrow_stopword_mask_follows_each_words_language():
    words = pa.array(["the", "the", "de", "de", "de", "produto", "le"])
    codes = arrow.language_codes(pa.array(["en", "pt", "pt", "es", "fr", "pt", "fr"]))
    assert codes.tolist() == [0, 1, 1, 2, -1, 1, -1]
    assert arrow.stopword_mask(words, codes).tolist() == [True, False, True, True, False, False, False]


def test_arrow_analysis_filters_like_sql(spark):
    from vocspark.text.options import TextOptions

    texts = pa.array(["I don't like the product, it's BROKEN!", "Eu não gostei do produto. Péssimo!", "a b cd"])
    langs = pa.array(["en", "pt", "en"])
    result = arrow.analyse(texts, langs, TextOptions(min_token_chars=3))
    assert result.doc_tokens().to_pylist() == [["like", "product", "broken"], ["gostei", "produto", "péssimo"], []]
    assert np.asarray(result.n_tokens()).tolist() == [3, 3, 0]
    assert result.text_clean.to_pylist() == [
        "i don't like the product it's broken", "eu não gostei do produto péssimo", "a b cd",
    ]
