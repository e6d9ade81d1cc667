"""Planted classifier labels of the demo tweets: a share of the on-topic Spanish tweets carries a discriminatory
(one of 7 categories) or a respectful extra sentence about the same groups; every other draw is unchanged."""
from __future__ import annotations

import collections

import numpy as np

from vocspark.demo import tweets
from vocspark.demo import vocab_discrimination as DV
from vocspark.demo import vocab_tweets as V
from vocspark.demo.rand import chunk_rng


def arrays(disc: bool, n: int = 4000):
    return tweets.tweet_text_arrays(chunk_rng(3, "tweets", 0), n, V.KEYWORDS,
                                    chunk_rng(3, "tweets", "discrimination", 0) if disc else None)


def test_discrimination_labels_and_shares():
    t = arrays(True)
    lang, on_topic, disc, cat = t["lang"], t["on_topic"], t["is_discriminatory"], t["discrimination_category"]
    assert all((d is None) == (lg != "es") for d, lg in zip(disc, lang))  # set exactly for the Spanish tweets
    es_on = (lang == "es") & on_topic
    share = np.mean(disc[es_on] == True)  # noqa: E712
    assert abs(share - DV.DISCRIMINATORY_SHARE) < 0.03
    assert not any(disc[(lang == "es") & ~on_topic])  # off-topic tweets stay clean
    assert all((c is not None) == (d is True) for c, d in zip(cat, disc))
    counts = collections.Counter(c for c in cat if c)
    assert set(counts) == set(DV.CATEGORIES) and min(counts.values()) > 0.5 * max(counts.values())
    # the category's group words are in the tweet; hard negatives mention groups without discriminating
    for text, c in zip(t["text"], cat):
        if c:
            assert any(g.lower() in text.lower() for g in DV.GROUPS[c])
    respectful = [x for x, d in zip(t["text"], disc) if d is False and any(r in x for r in DV.RESPECTFUL)]
    assert len(respectful) > 0.05 * es_on.sum()


def test_other_labels_and_texts_are_unchanged():
    """The planted sentence is inserted with its own generator: removing it gives back the text made without it."""
    plain, planted = arrays(False), arrays(True)
    for key in ("lang", "subject", "sentiment", "needs_support", "is_relevant"):
        assert list(plain[key]) == list(planted[key]), key
    changed = 0
    for a, b in zip(plain["text"], planted["text"]):
        p = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), len(a))  # common prefix
        assert b[p + len(b) - len(a):] == a[p:]  # one contiguous insertion
        changed += a != b
    assert changed > 0
