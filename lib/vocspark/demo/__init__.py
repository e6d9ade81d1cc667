"""vocspark.demo: a deterministic generator of demo raw data (Amazon-style reviews TSV, Firehose tweets JSON
lines, Instagram-style comments CSV) with a truth side file for scoring the pipeline.

    from vocspark.demo import generate
    summary = generate(Path("data/raw"), reviews=20000, tweets=10000, comments=10000, seed=42)

Text helpers for benchmarks: ``vocspark.demo.reviews.review_texts(n, seed)``,
``vocspark.demo.tweets.tweet_texts(n, seed)``, ``vocspark.demo.instagram.comment_texts(n, seed)``.
"""
from vocspark.demo.generator import generate

__all__ = ["generate"]
