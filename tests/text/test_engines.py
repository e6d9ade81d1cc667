"""The three engines (arrow, sql, sparknlp) give identical features and sentence rows on the test set, with
and without stemming, and the values are the expected ones."""
from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import schemas
from vocspark.text import engines
from vocspark.text.options import TextOptions

TS = dt.datetime(2021, 3, 4, 5, 6, 7)
TEXTS = [
    ("pt", "Nunca tive problema com a Loja. Quero meu dinheiro de volta! Não entregaram meu produto"),
    ("en", "  Hello there!!! It costs 3.5 dollars... Sr. Silva<br />came   here\nok?  I don't like it's @john "
           "#great http://x.com/a?b=1 &amp; &#34;quoted&#34; 😀👍🏽 ❤️ 1️⃣ café ação niño"),
    ("en", ""),
    ("en", "<br /><br />"),
    ("es", "a<br/><BR />b. \n\n c"),
    ("en", "dogs' toys 'hello' rock'n'roll’s don’t"),
    ("en", "HTTP://X.COM Hello WWW.A.B <B>Bold</B> &LT;tag&GT;"),
    ("es", "¡Genial!!<br />¿En serio… sí?! ok. El envío llegó rápidamente; los pedidos están bien"),
    ("fr", "C'est très bien. L'été"),
    ("pt", "😀😀😀 !!! 123"),
    ("en", "Great product, works well. " * 100),  # 2.7k characters (10k texts: test_normalize, test_sentences)
    ("pt", "Ótimo atendimento, devoluções rápidas e lojas organizadas. Recomendo!"),
]
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
OPTIONS = {
    "default": TextOptions(),
    "stem_keep_stopwords_min3": TextOptions(remove_stopwords=False, stemming=True, min_token_chars=3),
}


@pytest.fixture(scope="module")
def docs_df(spark):
    rows = [("s", f"d{i:02d}", "u1", TS, "2021-03", lang, text) for i, (lang, text) in enumerate(TEXTS)]
    return spark.createDataFrame(rows, SCHEMA).coalesce(1)


@pytest.fixture(scope="module")
def features(docs_df):
    """{(options name, engine): collected features}, computed once for the module."""
    out = {}
    for name, options in OPTIONS.items():
        for engine in engines.ENGINES:
            out[(name, engine)] = engines.with_text_features(docs_df, options, engine).cache()
    return out


@pytest.mark.parametrize("name", sorted(OPTIONS))
@pytest.mark.parametrize("engine", ["sql", "sparknlp"])
def test_engines_give_identical_features(features, name, engine):
    assert_df_equality(
        features[(name, engine)], features[(name, "arrow")], ignore_row_order=True, ignore_nullable=True
    )


@pytest.mark.parametrize("engine", ["sql", "sparknlp"])
def test_engines_give_identical_sentence_rows(features, docs_df, engine):
    got_df = engines.explode_sentences(features[("default", engine)])
    expected_df = engines.sentence_rows(docs_df, OPTIONS["default"], "arrow")
    assert [(f.name, f.dataType) for f in got_df.schema] == [(f.name, f.dataType) for f in schemas.SENTENCES]
    assert_df_equality(got_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_arrow_sentence_rows_equal_exploded_features(features, docs_df):
    exploded_df = engines.explode_sentences(features[("default", "arrow")])
    flat_df = engines.sentence_rows(docs_df, OPTIONS["default"], "arrow")
    assert flat_df.schema == schemas.SENTENCES
    assert_df_equality(flat_df, exploded_df, ignore_row_order=True, ignore_nullable=True)


def test_expected_values(features):
    rows = {r["doc_id"]: r for r in features[("default", "arrow")].collect()}
    first = rows["d00"]
    assert first["n_sentences"] == 3
    assert [s["sentence"] for s in first["sentences"]] == [
        "Nunca tive problema com a Loja.", "Quero meu dinheiro de volta!", "Não entregaram meu produto",
    ]
    assert first["tokens"] == ["nunca", "problema", "loja", "quero", "dinheiro", "volta", "entregaram", "produto"]
    assert first["n_tokens"] == 8
    # emoji, symbols and digits only: kept, with empty tokens
    assert (rows["d09"]["tokens"], rows["d09"]["n_tokens"], rows["d09"]["text_clean"]) == ([], 0, "")
    assert rows["d02"]["n_sentences"] == 0 and rows["d03"]["n_sentences"] == 0
    assert rows["d10"]["n_sentences"] == 100 and rows["d10"]["n_tokens"] == 400
    # no stopword list for fr: nothing removed, words of 2+ characters kept
    assert rows["d08"]["tokens"] == ["c'est", "très", "bien", "l'été"]
    assert rows["d06"]["tokens"] == ["hello", "bold", "tag"]
    stemmed = {r["doc_id"]: r for r in features[("stem_keep_stopwords_min3", "arrow")].collect()}
    assert stemmed["d11"]["tokens"] == ["ótim", "atend", "devolu", "ráp", "loj", "organiz", "recom"]


def test_unknown_engine_is_an_error(docs_df):
    with pytest.raises(ValueError, match="unknown text engine"):
        engines.with_text_features(docs_df, TextOptions(), "regex")
