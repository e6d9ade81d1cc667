"""Descriptive tables (analytics job) on a hand-made review set with hand-computed answers, the review rules,
and the Parquet + CSV table writer."""
from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality

from vocspark import io
from vocspark.analytics import tables as tb

UTC = dt.timezone.utc


def ts(day: str) -> dt.datetime:
    """As collect() returns an instant: naive, in the driver's zone (UTC here, like the session)."""
    return dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


# six valid reviews: (doc, day, category, product, user, stars, helpful, total, chars, tokens)
ROWS = [
    ("r1", "2021-01-05", "Books", "P1", "u1", 5, 3, 4, 10, 2),
    ("r2", "2021-01-20", "Books", "P1", "u1", 4, 0, 0, 20, 4),
    ("r3", "2021-01-07", "Books", "P2", "u2", 1, 1, 2, 30, 6),
    ("r4", "2021-02-01", "Books", "P2", "u3", 4, None, None, 40, 8),
    ("r5", "2021-02-10", "Toys", "P3", "u2", 2, 5, 5, 50, 10),
    ("r6", "2022-01-03", "Toys", "P3", "u2", 5, 0, 1, 60, 12),
]


def review_rows(doc):
    return [
        doc(d, day, product_category=c, product_id=p, user_id=u, star_rating=s, helpful_votes=h, total_votes=t,
            text="x" * n, tokens=["w"] * k)
        for d, day, c, p, u, s, h, t, n, k in ROWS
    ]


@pytest.fixture(scope="module")
def reviews(docs_df, doc):
    return docs_df(review_rows(doc)).transform(tb.with_length).coalesce(1).cache()


def same(actual, expected_rows, schema, spark, approx=False):
    """Column names and types as ``schema`` (DDL), and the same rows in any order (floats to 1e-9).

    One Spark action per table (chispa's ignore_row_order sorts both sides, three jobs per comparison, which on
    this shared two-core machine costs more than the rest of the test); chispa is used where order is given."""
    expected_schema = spark.createDataFrame([], schema).schema
    assert [(f.name, f.dataType) for f in actual.schema] == [(f.name, f.dataType) for f in expected_schema]
    key = lambda row: tuple((v is None, str(v)) for v in row)  # noqa: E731 (None-safe total order)
    got = sorted((tuple(r) for r in actual.collect()), key=key)
    want = sorted((tuple(r) for r in expected_rows), key=key)
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        assert g == (pytest.approx(w, rel=1e-9) if approx else w), (g, w)


def test_monthly_category_volume(spark, reviews):
    same(tb.monthly_category_volume(reviews), [
        ("2021-01", "Books", 3, 2, 1), ("2021-02", "Books", 1, 1, 0), ("2021-02", "Toys", 1, 1, 0),
        ("2022-01", "Toys", 1, 1, 0),
    ], "month string, product_category string, reviews long, unique_products long, products_multi_review long", spark)


def test_length_per_category_and_year(spark, reviews):
    schema = ("product_category string, reviews long, chars_mean double, chars_median int, chars_p90 int, "
              "tokens_mean double, tokens_median int, tokens_p90 int")
    # Books chars 10,20,30,40: median = smallest value with half the values at or below it = 20, p90 = 40
    same(tb.length_stats(reviews, ["product_category"]), [
        ("Books", 4, 25.0, 20, 40, 5.0, 4, 8), ("Toys", 2, 55.0, 50, 60, 11.0, 10, 12),
    ], schema, spark, approx=True)
    same(tb.length_stats(reviews, ["product_category", "year"]), [
        ("Books", 2021, 4, 25.0, 20, 40, 5.0, 4, 8), ("Toys", 2021, 1, 50.0, 50, 50, 10.0, 10, 10),
        ("Toys", 2022, 1, 60.0, 60, 60, 12.0, 12, 12),
    ], schema.replace("product_category string,", "product_category string, year int,"), spark, approx=True)


def test_length_histogram_buckets_and_cap(spark, reviews):
    # Books 10, 20 | 30, 40 in buckets of 25; Toys 50 and 60 both in the capped bucket 50
    same(tb.length_histogram(reviews, width=25, cap=50), [("Books", 0, 2), ("Books", 25, 2), ("Toys", 50, 2)],
         "product_category string, bucket_start int, reviews long", spark)


def test_category_summary(spark, reviews):
    same(tb.category_summary(reviews), [
        ("Books", 4, 3.5, dt.date(2021, 1, 5), ts("2021-01-05")), ("Toys", 2, 3.5, dt.date(2021, 2, 10), ts("2021-02-10")),
    ], "product_category string, reviews long, avg_star_rating double, first_review_date date, first_review_at timestamp",
        spark, approx=True)


def test_star_tables(spark, reviews):
    same(tb.star_breakdown(reviews), [
        ("Books", 5, 1, 0.25), ("Books", 4, 2, 0.5), ("Books", 1, 1, 0.25), ("Toys", 2, 1, 0.5), ("Toys", 5, 1, 0.5),
    ], "product_category string, star_rating int, reviews long, share double", spark, approx=True)
    same(tb.reviews_by_star(reviews), [(1, 1, 1 / 6), (2, 1, 1 / 6), (4, 2, 2 / 6), (5, 2, 2 / 6)],
         "star_rating int, reviews long, share double", spark, approx=True)
    same(tb.rating_by_month(reviews), [("2021-01", 3, 10 / 3), ("2021-02", 2, 3.0), ("2022-01", 1, 5.0)],
         "month string, reviews long, avg_star_rating double", spark, approx=True)


def test_helpfulness_by_star(spark, reviews):
    # 5 stars: 3/4 and 0/1 -> 3/5 overall, mean of ratios 0.375; 4 stars: nobody voted (0/0 and nulls) -> null
    same(tb.helpfulness_by_star(reviews), [
        (5, 2, 2, 3, 5, 0.6, 0.375), (4, 2, 0, 0, 0, None, None), (1, 1, 1, 1, 2, 0.5, 0.5), (2, 1, 1, 5, 5, 1.0, 1.0),
    ], "star_rating int, reviews long, reviews_with_votes long, helpful_votes long, total_votes long, "
       "helpfulness double, mean_review_helpfulness double", spark, approx=True)


def test_top_helpful_products_ranked_with_lengths(spark, reviews):
    schema = ("product_id string, product_title string, product_category string, reviews long, helpful_reviews long, "
              "helpful_votes long, chars_mean double, helpful_chars_mean double, helpful_tokens_mean double, rank int")
    same(tb.top_helpful_products(reviews, 2), [
        ("P3", "Thing", "Toys", 2, 1, 5, 55.0, 50.0, 10.0, 1), ("P1", "Thing", "Books", 2, 1, 3, 15.0, 10.0, 2.0, 2),
    ], schema, spark, approx=True)


def test_top_helpful_ties_go_to_smaller_product_id(spark, docs_df, doc):
    df = docs_df([doc("a", "2021-01-01", product_id="Q2", helpful_votes=4), doc("b", "2021-01-01", product_id="Q1", helpful_votes=4),
                  doc("c", "2021-01-01", product_id="Q0", helpful_votes=0)]).transform(tb.with_length)
    got = [(r["product_id"], r["rank"]) for r in tb.top_helpful_products(df, 5).orderBy("rank").collect()]
    assert got == [("Q1", 1), ("Q2", 2)]  # Q0 has no helpful vote: not listed


def test_positive_negative(spark, reviews, docs_df, doc):
    schema = "scope string, product_category string, positive long, negative long, positive_negative_ratio double"
    # 3 stars counts as negative; Books 5,4,4 vs 1 -> 3.0; Toys 5 vs 2 -> 1.0; overall 4 vs 2
    same(tb.positive_negative(reviews), [
        ("overall", None, 4, 2, 2.0), ("category", "Books", 3, 1, 3.0), ("category", "Toys", 1, 1, 1.0),
    ], schema, spark, approx=True)
    only_good = docs_df([doc("a", "2021-01-01", star_rating=4), doc("b", "2021-01-01", star_rating=3, product_category="Toys")])
    same(tb.positive_negative(only_good), [
        ("overall", None, 1, 1, 1.0), ("category", "Books", 1, 0, None), ("category", "Toys", 0, 1, 0.0),
    ], schema, spark, approx=True)


def test_repeat_reviewers(spark, reviews, docs_df, doc):
    anonymous = docs_df([doc("n1", "2021-01-01", user_id=None), doc("n2", "2021-01-02", user_id=None)])
    both = reviews.unionByName(anonymous.transform(tb.with_length))
    same(tb.repeat_reviewers(both), [
        ("u1", "P1", 2, 4.5, ts("2021-01-05"), ts("2021-01-20")), ("u2", "P3", 2, 3.5, ts("2021-02-10"), ts("2022-01-03")),
    ], "user_id string, product_id string, reviews long, avg_star_rating double, first_review_at timestamp, "
       "last_review_at timestamp", spark, approx=True)


def test_volume_by_source(spark, reviews, docs_df, doc):
    tweets = docs_df([doc("t1", "2021-01-03", source="tweets", lang="es"), doc("t2", "2021-01-09", source="tweets", lang="es"),
                      doc("t3", "2021-01-09", source="tweets", lang="en")]).transform(tb.with_length)
    same(tb.volume_by_source(reviews.unionByName(tweets)), [
        ("2021-01", "amazon_reviews", "en", 3), ("2021-02", "amazon_reviews", "en", 2), ("2022-01", "amazon_reviews", "en", 1),
        ("2021-01", "tweets", "es", 2), ("2021-01", "tweets", "en", 1),
    ], "month string, source string, lang string, documents long", spark)


def test_review_rules_first_match_wins(spark, docs_df, doc):
    df = docs_df([
        doc("ok", "2021-01-01"),
        doc("no_product", "2021-01-01", product_id=None, product_category=None),  # both broken: product first
        doc("blank_product", "2021-01-01", product_id="  "),
        doc("no_category", "2021-01-01", product_category=""),
        doc("zero_stars", "2021-01-01", star_rating=0),
        doc("six_stars", "2021-01-01", star_rating=6),
        doc("null_stars", "2021-01-01", star_rating=None),
        doc("no_user", "2021-01-01", user_id=None),
    ])
    got = {r["doc_id"]: r[io.OUTCOME] for r in tb.with_review_outcome(df).collect()}
    assert got == {
        "ok": None, "no_product": "rejected:missing_product", "blank_product": "rejected:missing_product",
        "no_category": "rejected:missing_category", "zero_stars": "rejected:bad_star_rating",
        "six_stars": "rejected:bad_star_rating", "null_stars": "rejected:bad_star_rating", "no_user": None,
    }
    with_user = {r["doc_id"]: r[io.OUTCOME] for r in tb.with_review_outcome(df, require_user=True).collect()}
    assert with_user["no_user"] == "rejected:missing_user" and with_user["ok"] is None
    rejected = tb.rejected_reviews(tb.with_review_outcome(df), "analytics", "run1").collect()
    assert sorted(r["reason"] for r in rejected) == ["bad_star_rating"] * 3 + ["missing_category"] + ["missing_product"] * 2
    assert all('"doc_id"' in r["raw"] and '"tokens"' not in r["raw"] for r in rejected)


def test_write_table_parquet_and_single_csv_rerun(spark, tmp_path):
    df = spark.createDataFrame([("Books", 2, 1.5), ("Toys, Games", 1, None)], "product_category string, reviews long, x double")
    out = tmp_path.as_uri()
    for _ in range(2):  # the rerun replaces both files
        uris = tb.write_table(df, out, "demo_table")
    assert_df_equality(spark.read.parquet(uris["parquet"]), df, ignore_row_order=True, ignore_nullable=True)
    csv = (tmp_path / "csv" / "demo_table.csv").read_text().splitlines()
    assert csv[0] == "product_category,reviews,x"
    assert sorted(csv[1:]) == ['"Toys, Games",1,', "Books,2,1.5"]
    assert sorted(p.name for p in (tmp_path / "csv").iterdir() if not p.name.endswith(".crc")) == ["demo_table.csv"]
