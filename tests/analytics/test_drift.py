"""drift: TF-IDF top terms and overlap percentages on a hand-made corpus with hand-computed answers."""
from __future__ import annotations

import math

import pytest

from vocspark.analytics import drift as dr


@pytest.fixture(scope="module")
def corpus(docs_df, doc):
    """Books 2021: plot x3, ink x2, cover; Books 2022: plot x2, ink, glue x3 (split over reviews);
    star 1 / 2 / 4 groups for the adjacency rule."""
    rows = [
        doc("a", "2021-03-01", star_rating=1, tokens=["plot", "plot", "ink"]),
        doc("b", "2021-07-01", star_rating=2, tokens=["plot", "ink", "cover"]),
        doc("c", "2022-02-01", star_rating=4, tokens=["plot", "plot", "ink"]),
        doc("d", "2022-05-01", star_rating=4, tokens=["glue", "glue", "glue"]),
    ]
    return docs_df(rows).coalesce(1).cache()


def test_periods():
    assert dr.PERIODS == ("year", "quarter", "month")


def test_tfidf_by_hand(spark, corpus):
    base = dr.base_term_counts(corpus, "year")
    scored = {(r["period"], r["term"]): r for r in dr.tfidf(base, ["product_category", "period"]).collect()}
    idf_both, idf_one = 1.0, math.log(3 / 2) + 1  # N = 2 groups; df 2 -> ln(3/3)+1, df 1 -> ln(3/2)+1
    assert scored[("2021", "plot")]["tfidf"] == pytest.approx(3 / 6 * idf_both)
    assert scored[("2021", "cover")]["tfidf"] == pytest.approx(1 / 6 * idf_one)
    assert scored[("2022", "glue")]["tfidf"] == pytest.approx(3 / 6 * idf_one)
    assert scored[("2022", "ink")]["tfidf"] == pytest.approx(1 / 6 * idf_both)
    assert scored[("2022", "glue")]["count"] == 3


def test_top_k_and_period_overlap(spark, corpus):
    tables = dr.drift_tables(corpus, "year", k=2, min_term_count=1)
    top = [(r["period"], r["rank"], r["term"]) for r in tables["drift_top_terms_period"].orderBy("period", "rank").collect()]
    assert top == [("2021", 1, "plot"), ("2021", 2, "ink"), ("2022", 1, "glue"), ("2022", 2, "plot")]
    (pair,) = tables["drift_overlap_period"].collect()
    assert (pair["product_category"], pair["period_from"], pair["period_to"]) == ("Books", "2021", "2022")
    assert (pair["n_common"], pair["overlap_pct"], pair["common_terms"]) == (1, 50.0, ["plot"])


def test_star_overlap_only_between_adjacent_ratings(spark, corpus):
    tables = dr.drift_tables(corpus, "year", k=3, min_term_count=1)
    pairs = [(r["star_rating_from"], r["star_rating_to"], r["n_common"], r["overlap_pct"])
             for r in tables["drift_overlap_star"].collect()]
    # star 1 {plot, ink}, star 2 {cover, ink, plot} (top 3), star 4 {glue, plot, ink}: 2 vs 4 is not adjacent
    assert pairs == [(1, 2, 2, pytest.approx(100 * 2 / 3))]


def test_ties_go_to_the_smaller_term_and_min_count_drops_rare_terms(spark, docs_df, doc):
    df = docs_df([doc("t", "2021-01-01", tokens=["zeta", "alpha", "zeta", "alpha", "rare"])])
    base = dr.base_term_counts(df, "year")
    top1 = dr.top_k(dr.tfidf(base, ["product_category", "period"]), ["product_category", "period"], 1).collect()
    assert [r["term"] for r in top1] == ["alpha"]
    kept = {r["term"] for r in dr.tfidf(base, ["product_category", "period"], min_term_count=2).collect()}
    assert kept == {"alpha", "zeta"}


def test_consecutive_periods_skip_missing_ones_and_quarters(spark, docs_df, doc):
    df = docs_df([doc("q1", "2021-02-01", tokens=["x"]), doc("q3", "2021-08-01", tokens=["x", "y"])])
    quarters = [r["period"] for r in df.select(dr.period_of("month", "quarter").alias("period")).collect()]
    assert sorted(quarters) == ["2021-Q1", "2021-Q3"]
    (pair,) = dr.drift_tables(df, "quarter", k=5, min_term_count=1)["drift_overlap_period"].collect()
    assert (pair["period_from"], pair["period_to"], pair["n_common"], pair["overlap_pct"]) == ("2021-Q1", "2021-Q3", 1, 50.0)
