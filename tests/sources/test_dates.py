"""Date plausibility per source: a parseable date outside ``valid_from`` .. now + ``max_future_days`` (inclusive)
is rejected ``implausible_date`` (right after ``bad_date``); "now" is date-exact for a run with ``--as-of``."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import ConfigError, SourceConfig
from vocspark.sources import amazon, instagram, twitter
from vocspark.sources.common import plausible_window, reference_time

UTC = dt.timezone.utc
AS_OF = "2021-06-09"
NOW = reference_time(AS_OF, dt.datetime(2030, 1, 1, tzinfo=UTC))  # 2021-06-10T00:00Z, whatever the clock says
BAD = "rejected:bad_date"
IMPLAUSIBLE = "rejected:implausible_date"


def src(kind: str, **keys) -> SourceConfig:
    return SourceConfig.from_dict({"kind": kind, "path": "unused", **keys})


def test_reference_time_is_the_end_of_the_as_of_day_else_the_run_start():
    started = dt.datetime(2021, 6, 9, 6, 30, tzinfo=UTC)
    assert reference_time(AS_OF, started) == dt.datetime(2021, 6, 10, tzinfo=UTC)
    assert reference_time(dt.date(2021, 6, 9), dt.datetime(2024, 1, 1)) == dt.datetime(2021, 6, 10, tzinfo=UTC)
    assert reference_time(None, started) == started
    assert reference_time(None, dt.datetime(2021, 6, 9, 6, 30)) == started  # naive = UTC
    with pytest.raises(ConfigError, match="--as-of"):
        reference_time("2021-13-01", started)


def test_window_defaults_and_config():
    assert plausible_window(src("instagram_csv"), NOW) == (
        dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2021, 6, 11, tzinfo=UTC)
    )
    custom = src("instagram_csv", valid_from=dt.date(2010, 5, 1), max_future_days=0)  # YAML's unquoted date
    assert plausible_window(custom, NOW) == (dt.datetime(2010, 5, 1, tzinfo=UTC), NOW)


@pytest.mark.parametrize(
    "keys, message",
    [
        ({"valid_from": "2000-13-01"}, r"`sources\.s\.valid_from` must be a date yyyy-MM-dd"),
        ({"valid_from": "yesterday"}, r"`sources\.s\.valid_from` must be a date"),
        ({"valid_from": dt.datetime(2000, 1, 1, 5)}, r"`sources\.s\.valid_from` must be a date"),
        ({"max_future_days": -1}, r"`sources\.s\.max_future_days` must be >= 0"),
        ({"max_future_days": "1"}, r"`sources\.s\.max_future_days` must be int"),
    ],
)
def test_bad_window_config_fails_naming_the_key(keys, message):
    with pytest.raises(ConfigError, match=message):
        SourceConfig.from_dict({"kind": "instagram_csv", "path": "unused", **keys}, name="s")


def tsv_line(review_id: str, review_date: str) -> str:
    row = dict.fromkeys(amazon.COLUMNS, "1") | {
        "marketplace": "US", "review_id": review_id, "vine": "N", "verified_purchase": "Y",
        "review_body": "Works well", "review_date": review_date,
    }
    return "\t".join(row[c] for c in amazon.COLUMNS)


HEADER = "\t".join(amazon.COLUMNS)


def _got(df, key_col):
    return {r["key"]: (r[io.OUTCOME], r["created_at"]) for r in df.select(F.col(key_col).alias("key"), io.OUTCOME, "created_at").collect()}


def test_amazon_window(spark, tmp_path):
    dates = {
        "y1899": "1899-12-31", "y1970": "1970-01-01", "y2099": "2099-01-01", "first": "2000-01-01",
        "before": "1999-12-31", "last": "2021-06-11", "after": "2021-06-12", "nodate": "", "ok": "2021-03-04",
    }
    lines = [HEADER] + [tsv_line(review_id=k, review_date=v) for k, v in dates.items()]
    (tmp_path / "a.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = {k: v[0] for k, v in _got(amazon.parse(spark, str(tmp_path), "amazon_reviews", src("amazon_reviews_tsv"), NOW), "doc_id").items()}
    assert got == {
        "y1899": IMPLAUSIBLE, "y1970": IMPLAUSIBLE, "y2099": IMPLAUSIBLE, "first": None, "before": IMPLAUSIBLE,
        "last": None, "after": IMPLAUSIBLE, "nodate": BAD, "ok": None,
    }
    # a wider window in config accepts 1970; 1899 parses and is a plain timestamp (no rebase error)
    wide = amazon.parse(spark, str(tmp_path), "amazon_reviews", src("amazon_reviews_tsv", valid_from="1800-01-01"), NOW)
    wide_got = _got(wide, "doc_id")
    assert wide_got["y1970"][0] is None and wide_got["y1899"] == (None, dt.datetime(1899, 12, 31))


def _tweet(key: str, created_at: str | None) -> str:
    obj = {"id": key, "text": "pedido", "author_id": "1", "lang": "en"}
    if created_at is not None:
        obj["created_at"] = created_at
    return json.dumps(obj)


def test_twitter_window(spark, tmp_path):
    times = {
        "y1899": "1899-12-31T23:59:59.000Z", "y1970": "1970-01-01T00:00:00.000Z", "y2099": "2099-01-01T00:00:00Z",
        "first": "2000-01-01T00:00:00.000Z", "before": "1999-12-31T23:59:59.999Z", "last": "2021-06-11T00:00:00.000Z",
        "after": "2021-06-11T00:00:01Z", "null": None, "garbage": "soon", "ok": "2021-05-01T12:34:56.000Z",
    }
    (tmp_path / "t.json").write_text("\n".join(_tweet(k, v) for k, v in times.items()) + "\n", encoding="utf-8")
    df = twitter.parse(spark, str(tmp_path), "tweets", src("twitter_firehose_json"), NOW)
    got = {k: v[0] for k, v in _got(df, "doc_id").items()}
    assert got == {
        "y1899": IMPLAUSIBLE, "y1970": IMPLAUSIBLE, "y2099": IMPLAUSIBLE, "first": None, "before": IMPLAUSIBLE,
        "last": None, "after": IMPLAUSIBLE, "null": BAD, "garbage": BAD, "ok": None,
    }


def test_instagram_window_and_max_future_days(spark, tmp_path):
    times = {
        "y1899": "1899-12-31 00:00:00", "y1970": "1970-01-01 00:00:00", "y2099": "2099-01-01 00:00:00",
        "first": "2000-01-01 00:00:00", "before": "1999-12-31 23:59:59", "last": "2021-06-11 00:00:00",
        "after": "2021-06-11 00:00:01", "null": "", "ok": "2021-05-01 10:00:00",
    }
    rows = ["interaction_date,user_name,url,text"] + [f"{v},u,http://x,{k}" for k, v in times.items()]
    (tmp_path / "c.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    got = {k: v[0] for k, v in _got(instagram.parse(spark, str(tmp_path), "instagram", src("instagram_csv"), NOW), "text").items()}
    assert got == {
        "y1899": IMPLAUSIBLE, "y1970": IMPLAUSIBLE, "y2099": IMPLAUSIBLE, "first": None, "before": IMPLAUSIBLE,
        "last": None, "after": IMPLAUSIBLE, "null": BAD, "ok": None,
    }
    strict = instagram.parse(spark, str(tmp_path), "instagram", src("instagram_csv", max_future_days=0), NOW)
    strict_got = {k: v[0] for k, v in _got(strict, "text").items()}
    assert strict_got["last"] == IMPLAUSIBLE and strict_got["ok"] is None
