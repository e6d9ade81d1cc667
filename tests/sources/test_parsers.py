"""Per-source parsing: good records typed into the documents contract, each kind of malformed record rejected with
its reason, source filters applied."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import SourceConfig
from vocspark.sources import amazon, instagram, twitter
from vocspark.sources.common import keyword_pattern
from vocspark.sources.ids import hashed_doc_id, hashed_doc_id_py

HEADER = "\t".join(amazon.COLUMNS)
NOW = dt.datetime(2021, 6, 10, tzinfo=dt.timezone.utc)  # the run's reference time (after every date used here)


def tsv_line(**overrides) -> str:
    row = {
        "marketplace": "US", "customer_id": "111", "review_id": "R1", "product_id": "B001", "product_parent": "9",
        "product_title": "Blender", "product_category": "Kitchen", "star_rating": "5", "helpful_votes": "1",
        "total_votes": "2", "vine": "N", "verified_purchase": "Y", "review_headline": "Great",
        "review_body": 'Works "really" well.<br />Love it', "review_date": "2021-03-04",
    }
    row.update(overrides)
    return "\t".join(row[c] for c in amazon.COLUMNS)


def src(kind: str, **keys) -> SourceConfig:
    """A source's typed config as ingest passes it (validated, defaults filled; the path is not read)."""
    return SourceConfig.from_dict({"kind": kind, "path": "unused", **keys})


def outcomes(df) -> dict[str, str | None]:
    return {r["key"]: r[io.OUTCOME] for r in df.select(F.col("key"), F.col(io.OUTCOME)).collect()}


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- amazon
def test_amazon_good_record_is_typed(spark, tmp_path):
    write_bytes(tmp_path / "a.tsv", (HEADER + "\n" + tsv_line() + "\n").encode())
    row = amazon.parse(spark, str(tmp_path), "amazon_reviews",
        src("amazon_reviews_tsv", lang="en", marketplaces=["US"]), NOW).collect()
    assert len(row) == 1
    r = row[0]
    assert r[io.OUTCOME] is None
    assert (r["doc_id"], r["user_id"], r["product_category"], r["star_rating"]) == ("R1", "111", "Kitchen", 5)
    assert r["created_at"] == dt.datetime(2021, 3, 4, 0, 0)
    assert r["text"] == 'Works "really" well.<br />Love it'  # quotes are literal in the TSV
    assert (r["verified_purchase"], r["vine"], r["helpful_votes"], r["total_votes"]) == (True, False, 1, 2)
    assert r["lang"] == "en" and r["headline"] == "Great" and r["marketplace"] == "US"


def test_amazon_rules(spark, tmp_path):
    lines = {
        "ok": tsv_line(review_id="ok"),
        "short": "\t".join(["US", "1", "short"]),  # 3 fields: doc_id reads "short"
        "broken": tsv_line(review_id="broken", review_body='"starts a quote\nand goes on'),
        "nodate": tsv_line(review_id="nodate", review_date="yesterday"),
        "feb30": tsv_line(review_id="feb30", review_date="2021-02-30"),
        "five": tsv_line(review_id="five", star_rating="five"),
        "six": tsv_line(review_id="six", star_rating="6"),
        "votes": tsv_line(review_id="votes", helpful_votes="-1"),
        "empty": tsv_line(review_id="empty", review_body="  "),
        "noid": tsv_line(review_id="", review_body="noid"),
        "uk": tsv_line(review_id="uk", marketplace="UK"),
    }
    body = (HEADER + "\n" + "\n".join(lines.values()) + "\n\n").encode()
    bad_utf8 = tsv_line(review_id="utf8").encode().replace(b"Love", b"Lo\xff\xfeve")
    write_bytes(tmp_path / "x.tsv", body + bad_utf8 + b"\n")
    df = amazon.parse(spark, str(tmp_path), "amazon_reviews", src("amazon_reviews_tsv", lang="en", marketplaces=["US"]), NOW)
    got = {
        (r["doc_id"] if r["doc_id"] else r["raw"][:12]): r[io.OUTCOME]
        for r in df.select("doc_id", "raw", io.OUTCOME).collect()
    }
    assert got["ok"] is None
    assert got["short"] == "rejected:column_count"
    assert got["broken"] == "rejected:column_count"  # the line was split in two by the quoted newline
    assert [v for k, v in got.items() if k.startswith("and goes on")] == ["rejected:column_count"]
    assert got["nodate"] == got["feb30"] == "rejected:bad_date"
    assert got["five"] == got["six"] == got["votes"] == "rejected:bad_number"
    assert got["empty"] == "rejected:missing_text"
    assert got["US\t111\t\tB001"] == "rejected:missing_id"
    assert got["uk"] == "filtered:marketplace"
    assert got["utf8"] == "rejected:invalid_utf8"
    assert got[""] == "filtered:blank_line"
    assert df.count() == len(lines) + 3  # header not counted; 2nd half of broken, blank and bad utf8 lines are


def test_amazon_no_marketplace_rule_keeps_all(spark, tmp_path):
    write_bytes(tmp_path / "a.tsv", (tsv_line(marketplace="DE") + "\n").encode())
    df = amazon.parse(spark, str(tmp_path), "amazon_reviews", src("amazon_reviews_tsv", lang="en", marketplaces=None), NOW)
    assert [r[io.OUTCOME] for r in df.collect()] == [None]


# --------------------------------------------------------------------------- tweets
def tweet(**overrides) -> str:
    obj = {
        "id": "1390000000000000001", "text": "Mi pedido no llegó 😡 @tienda #envío https://t.co/x",
        "created_at": "2021-05-01T12:34:56.000Z", "author_id": "42", "lang": "es",
        "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 4},
    }
    obj.update(overrides)
    return json.dumps({k: v for k, v in obj.items() if v is not None}, ensure_ascii=False)


def test_tweets_good_record_and_delivery_hour(spark, tmp_path):
    path = tmp_path / "2021" / "05" / "01" / "12" / "voc-tweets-1-2021-05-01-12-00-00-abc"
    write_bytes(path, (tweet() + "\n").encode())
    rows = twitter.parse(spark, str(tmp_path), "tweets",
        src("twitter_firehose_json", langs=["es", "en"], keywords=["pedido"]), NOW).collect()
    assert len(rows) == 1
    r = rows[0]
    assert r[io.OUTCOME] is None
    assert (r["doc_id"], r["user_id"], r["lang"]) == ("1390000000000000001", "42", "es")
    assert r["created_at"] == dt.datetime(2021, 5, 1, 12, 34, 56)
    assert (r["retweet_count"], r["reply_count"], r["like_count"], r["quote_count"]) == (1, 2, 3, 4)
    assert r["delivery_hour"] == dt.datetime(2021, 5, 1, 12)


def test_tweets_rules(spark, tmp_path):
    records = [
        tweet(id="ok"),
        tweet(id="nomillis", created_at="2021-05-01T12:34:56Z"),
        '{"id": "trunc", "text": "corta',
        tweet(id="types", public_metrics={"like_count": "many"}),
        tweet(id=None),
        tweet(id="baddate", created_at="2021-13-45T99:00:00.000Z"),
        tweet(id="nodate", created_at=None),
        tweet(id="notext", text=None),
        tweet(id="blank", text="   "),
        tweet(id="und", lang="und"),
        tweet(id="irrelevant", text="Qué bonito día en la playa"),
        tweet(id="hashtag", text="Todo bien #Tienda"),
        tweet(id="inside", text="mis pedidos"),  # plural is another word: no keyword
        "",
    ]
    bad_utf8 = tweet(id="utf8").encode().replace(b"Mi pedido", b"Mi pe\xffdido")
    data = ("\n".join(records) + "\n").encode() + bad_utf8 + b"\n"
    write_bytes(tmp_path / "2021/05/01/12/f1", data)
    df = twitter.parse(spark, str(tmp_path), "tweets",
        src("twitter_firehose_json", langs=["es", "en"], keywords=["pedido", "tienda"]), NOW)
    got = {(r["doc_id"] or r["raw"][:20]): r[io.OUTCOME] for r in df.select("doc_id", "raw", io.OUTCOME).collect()}
    assert got["ok"] is None and got["nomillis"] is None and got["hashtag"] is None
    assert got['{"id": "trunc", "tex'] == "rejected:malformed_json"
    assert got["types"] == "rejected:malformed_json"
    assert got['{"text": "Mi pedido '] == "rejected:missing_id"
    assert got["baddate"] == got["nodate"] == "rejected:bad_date"
    assert got["notext"] == got["blank"] == "rejected:missing_text"
    assert got["und"] == "filtered:lang"
    assert got["irrelevant"] == got["inside"] == "filtered:keyword"
    assert got[""] == "filtered:blank_line"
    assert got["utf8"] == "rejected:invalid_utf8"


def test_keyword_pattern_is_whole_word_unicode_and_case_insensitive(spark):
    pattern = keyword_pattern(["envío", "order"])
    df = spark.createDataFrame(
        [("Mi ENVÍO tarda",), ("#envío",), ("envíos",), ("reorder please",), ("order!",), (None,)], "t string"
    )
    got = [r[0] for r in df.select(F.col("t").rlike(pattern)).collect()]
    assert got == [True, True, False, False, True, None]
    with pytest.raises(ValueError):
        keyword_pattern([" "])


# --------------------------------------------------------------------------- instagram
CSV_HEADER = "interaction_date,user_name,url,text\n"


def test_instagram_multiline_quoted_and_doc_id(spark, tmp_path):
    text = 'Adorei, "muito" bom!\nChegou rápido 😍'
    csv_text = CSV_HEADER + '2021-05-01 10:00:00,ana,https://www.instagram.com/p/abc/,"Adorei, ""muito"" bom!\nChegou rápido 😍"\n'
    write_bytes(tmp_path / "comments_2021-05.csv", csv_text.encode())
    rows = instagram.parse(spark, str(tmp_path), "instagram", src("instagram_csv", lang="pt"), NOW).collect()
    assert len(rows) == 1
    r = rows[0]
    assert r[io.OUTCOME] is None
    assert r["text"] == text
    assert (r["user_id"], r["lang"], r["url"]) == ("ana", "pt", "https://www.instagram.com/p/abc/")
    assert r["doc_id"] == hashed_doc_id_py("instagram", "ana", dt.datetime(2021, 5, 1, 10), text)


def test_instagram_rules(spark, tmp_path):
    rows = [
        '2021-05-01 10:00:00,ok,https://x/p/1/,"Tudo ótimo, obrigado"',
        '2021-05-01 10:00:01,quote,https://x/p/1/,"texto "quebrado" aqui"',
        "2021-05-01 10:00:02,commas,https://x/p/1/,texto, com, virgulas",
        "2021-05-01 10:00:03,few,https://x/p/1/",
        "2021-02-30 10:00:04,feb30,https://x/p/1/,data ruim",
        "ontem,words,https://x/p/1/,data ruim",
        "2021-05-01 10:00:05,empty,https://x/p/1/,",
    ]
    data = (CSV_HEADER + "\n".join(rows) + "\n").encode() + "2021-05-01 10:00:06,utf8,https://x/p/1/,ol".encode() + b"\xff\xfe" + b"a\n"
    write_bytes(tmp_path / "c.csv", data)
    df = instagram.parse(spark, str(tmp_path), "instagram", src("instagram_csv", lang="pt"), NOW)
    got = {r["user_id"] or r["raw"][:30]: (r[io.OUTCOME], r["raw"]) for r in df.collect()}
    assert got["ok"][0] is None
    assert got["quote"][0] == "rejected:broken_quoting"
    assert got["commas"][0] == "rejected:column_count"
    assert got["commas"][1] == "2021-05-01 10:00:02,commas,https://x/p/1/,texto, com, virgulas"
    assert got["few"][0] == "rejected:column_count"
    assert got["feb30"][0] == got["words"][0] == "rejected:bad_date"
    assert got["empty"][0] == "rejected:missing_text"
    assert got["utf8"][0] == "rejected:invalid_utf8"


def test_hashed_doc_id_spark_equals_python(spark):
    rows = [("instagram", "ana", dt.datetime(2021, 5, 1, 10, 0, 7), "Olá 😍 ação"), ("instagram", None, dt.datetime(2020, 1, 1), "x")]
    df = spark.createDataFrame(rows, "source string, user string, ts timestamp, text string")
    got = [r[0] for r in df.select(hashed_doc_id(F.col("source"), F.col("user"), F.col("ts"), F.col("text"))).collect()]
    assert got == [hashed_doc_id_py(*r) for r in rows]
    assert len(set(got)) == 2 and all(len(g) == 32 for g in got)
