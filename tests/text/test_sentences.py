"""Sentence splitting: on runs of . ! ? … followed by whitespace or the end, on line breaks and on <br />;
original text kept (trimmed, HTML stripped, a few entities decoded); empty sentences dropped."""
from __future__ import annotations

import pyarrow as pa
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark.text import arrow
from vocspark.text import columns as C

CASES = [
    (
        "Nunca tive problema com a Loja. Quero meu dinheiro de volta! Não entregaram meu produto",
        ["Nunca tive problema com a Loja.", "Quero meu dinheiro de volta!", "Não entregaram meu produto"],
    ),
    ("Really?! Yes!!! Wait... Done… Ok", ["Really?!", "Yes!!!", "Wait...", "Done…", "Ok"]),
    # decimals and URLs have no whitespace after the dot: not split
    ("It costs 3.5 dollars at www.loja.com.br today.", ["It costs 3.5 dollars at www.loja.com.br today."]),
    # abbreviations are split (documented): "Sr." is a sentence of its own
    ("Falei com o Sr. Silva ontem.", ["Falei com o Sr.", "Silva ontem."]),
    ("first line\nsecond line\r\n\n third  ", ["first line", "second line", "third"]),
    ("one<br />two<br/><BR>three<br /><br />", ["one", "two", "three"]),
    ("  <b>bold</b> and <i>italic</i>. Tom &amp; Jerry &#34;ok&#34; &hellip;", ["bold and italic.", 'Tom & Jerry "ok"']),
    ("great.\" Then more", ['great." Then more']),  # a closing quote after the stop prevents the split
    ("¡Hola! ¿Qué tal? Muy bien.", ["¡Hola!", "¿Qué tal?", "Muy bien."]),
    ("😀😀. !!! ok", ["😀😀.", "!!!", "ok"]),
    ("", []),
    ("   \n  <br />  ", []),
    (None, None),
]
SCHEMA = T.StructType([T.StructField("id", T.IntegerType(), False), T.StructField("text", T.StringType(), True)])
EXPECTED_SCHEMA = T.StructType(
    [
        T.StructField("id", T.IntegerType(), False),
        T.StructField("sentences", T.ArrayType(T.StringType(), False), True),
    ]
)


@pytest.fixture(scope="module")
def cases_df(spark):
    return spark.createDataFrame([(i, text) for i, (text, _) in enumerate(CASES)], SCHEMA)


def test_split_sentences_sql(spark, cases_df):
    got_df = cases_df.select(F.col("id"), C.split_sentences(F.col("text")).alias("sentences"))
    expected_df = spark.createDataFrame([(i, s) for i, (_, s) in enumerate(CASES)], EXPECTED_SCHEMA)
    assert_df_equality(got_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_split_sentences_arrow():
    got = arrow.split_sentences(pa.array([t for t, _ in CASES], pa.string())).to_pylist()
    assert got == [s for _, s in CASES]


def test_the_portuguese_example_gives_three_sentences():
    text = "Nunca tive problema com a Loja. Quero meu dinheiro de volta! Não entregaram meu produto"
    assert len(arrow.split_sentences(pa.array([text])).to_pylist()[0]) == 3


def test_long_text_is_split_completely():
    text = "Great product, works well. " * 400  # 10.8k characters, 400 sentences
    got = arrow.split_sentences(pa.array([text])).to_pylist()[0]
    assert got == ["Great product, works well."] * 400
