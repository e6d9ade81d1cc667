"""Normalisation and tokenising rules: the Spark SQL column functions and the Arrow kernels give the same,
expected output (lowercase; URLs, mentions, HTML, punctuation, emoji and digits out; accents, hashtag words and
inner apostrophes kept)."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark.text import arrow
from vocspark.text import columns as C

LONG_TEXT = ("Great product! " * 700)[:10_000]  # 10k characters

# (text, normalised text)
CASES = [
    ("Hello World", "hello world"),
    ("Visit http://example.com/a?b=1 and https://x.io/y, or www.loja.com.br now", "visit and or now"),
    ("thanks @amazon_help and @loja123 for nothing", "thanks and for nothing"),
    ("#fail #ÓtimoProduto", "fail ótimoproduto"),
    ("line one<br />line two<br/>three<BR>four", "line one line two three four"),
    ("Tom &amp; Jerry &#34;quoted&#34; &nbsp; end", "tom jerry quoted end"),
    ("<a href=\"http://x.com\">link</a> text", "link text"),
    ("Wow!!! Really??? Yes... (maybe) [ok] {x} - _ / \\ | * ~ ^", "wow really yes maybe ok x"),
    ("Love it 😀👍🏽 ❤️ 👨‍👩‍👧 1️⃣ ★★★★★", "love it"),
    ("ÓTIMA LOJA, não gostei da AÇÃO; niño pingüino CAFÉ", "ótima loja não gostei da ação niño pingüino café"),
    ("cafe\u0301 com marca combinada", "cafe\u0301 com marca combinada"),  # decomposed é keeps its accent
    ("paid $25.99 for 2 items, 5 stars, mp3 4k", "paid for items stars mp k"),
    ("I don't think it's dogs' toys 'quoted' rock'n'roll", "i don't think it's dogs toys quoted rock'n'roll"),
    ("Don\u2019t curly apostrophe", "don't curly apostrophe"),
    ("tabs\tand\nnew\r\nlines\u00a0nbsp   spaces", "tabs and new lines nbsp spaces"),
    ("   ", ""),
    ("", ""),
    ("😀😀😀 !!! 123", ""),
    (None, None),
    # 666 whole "Great product! " and a cut "Great prod" at the end
    (LONG_TEXT, " ".join(["great product"] * 666 + ["great prod"])),
]

SCHEMA = T.StructType([T.StructField("id", T.IntegerType(), False), T.StructField("text", T.StringType(), True)])


@pytest.fixture(scope="module")
def cases_df(spark):
    return spark.createDataFrame([(i, text) for i, (text, _) in enumerate(CASES)], SCHEMA)


def test_normalize_text_sql(spark, cases_df):
    got_df = cases_df.select(F.col("id"), C.normalize_text(F.col("text")).alias("text_clean"))
    expected_df = spark.createDataFrame(
        [(i, clean) for i, (_, clean) in enumerate(CASES)],
        T.StructType([T.StructField("id", T.IntegerType(), False), T.StructField("text_clean", T.StringType(), True)]),
    )
    assert_df_equality(got_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_normalize_arrow():
    got = arrow.normalise(pa.array([text for text, _ in CASES], pa.string())).to_pylist()
    assert got == [clean for _, clean in CASES]


def test_tokenize_sql_and_arrow_agree(spark, cases_df):
    expected = {i: (clean.split(" ") if clean else ([] if clean is not None else None)) for i, (_, clean) in enumerate(CASES)}
    got_sql = {r["id"]: r["tokens"] for r in cases_df.select("id", C.tokenize(F.col("text")).alias("tokens")).collect()}
    got_arrow = arrow.tokenize(pa.array([t for t, _ in CASES], pa.string())).to_pylist()
    assert got_sql == expected
    assert {i: v for i, v in enumerate(got_arrow)} == expected


def test_month_of_uses_utc_calendar_month(spark):
    schema = T.StructType([T.StructField("created_at", T.TimestampType(), True)])
    rows = [
        (dt.datetime(2021, 1, 31, 23, 59, 59),),
        (dt.datetime(2021, 2, 1, 0, 0, 0),),
        (dt.datetime(2020, 12, 31, 12, 0, 0),),
        (None,),
    ]
    got = [r["month"] for r in spark.createDataFrame(rows, schema).select(C.month_of(F.col("created_at")).alias("month")).collect()]
    assert got == ["2021-01", "2021-02", "2020-12", None]
