"""Hand-made documents_clean rows for the review-analytics tests."""
from __future__ import annotations

import datetime as dt

import pytest

from vocspark import schemas

UTC = dt.timezone.utc


def doc(doc_id: str, day: str, **attrs) -> dict:
    """One documents_clean row as a dict: a review of amazon_reviews by default (``day`` = yyyy-MM-dd, UTC)."""
    created = dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    text = attrs.pop("text", "good product")
    tokens = attrs.pop("tokens", text.lower().split())
    row = {
        "source": "amazon_reviews", "doc_id": doc_id, "user_id": "u1", "created_at": created,
        "month": day[:7], "lang": "en", "text": text, "product_id": "P1", "product_parent": "9",
        "product_title": "Thing", "product_category": "Books", "star_rating": 5, "helpful_votes": 0,
        "total_votes": 0, "verified_purchase": True, "text_clean": text.lower(), "tokens": tokens,
        "n_tokens": len(tokens), "n_sentences": 1, "source_file": "f.tsv",
    }
    row.update(attrs)
    return row


@pytest.fixture(scope="session", name="doc")
def doc_fixture():
    """The :func:`doc` row builder (test modules cannot import this conftest under --import-mode=importlib)."""
    return doc


@pytest.fixture(scope="session")
def docs_df(spark):
    """``docs_df([doc(...), ...])`` -> a DataFrame with the documents_clean contract."""

    def build(rows: list[dict]):
        names = [f.name for f in schemas.DOCUMENTS_CLEAN.fields]
        return spark.createDataFrame([tuple(r.get(n) for n in names) for r in rows], schemas.DOCUMENTS_CLEAN)

    return build


@pytest.fixture(scope="module", autouse=True)
def _small_plans(small_plans):
    """Every test here runs with the shared ``small_plans`` settings (tests/conftest.py)."""
