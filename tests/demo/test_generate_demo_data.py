"""The demo data generator: formats, determinism, malformed kinds, duplicates, truth and the structure of the text.

Small N only (the whole file runs in seconds); throughput is measured by bench/, never here.
"""
from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from vocspark import config as config_mod
from vocspark.demo import generate, instagram, reviews, tweets
from vocspark.demo import vocab_instagram, vocab_tweets
from vocspark.demo.common import keyword_regex
from vocspark.jobs import generate_demo_data as job

N_REVIEWS, N_TWEETS, N_COMMENTS = 6000, 4000, 4000
MALFORMED, DUPLICATE = 0.06, 0.03
ARGS = dict(reviews=N_REVIEWS, tweets=N_TWEETS, comments=N_COMMENTS, seed=7, malformed_fraction=MALFORMED,
            duplicate_fraction=DUPLICATE, start_date="2021-01-01", months=6, chunk_size=800)
START, END = dt.datetime(2021, 1, 1), dt.datetime(2021, 7, 1)
CONF = config_mod.PROJECT_ROOT / "conf" / "local.yaml"


# --------------------------------------------------------------------------- helpers
def tree_digest(*roots: Path) -> dict[str, str]:
    out = {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            out[f"{root.name}/{path.relative_to(root)}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def read_truth(truth: Path, source: str) -> list[dict]:
    rows = []
    for part in sorted((truth / source).glob("part-*.parquet")):
        rows.extend(pq.read_table(part).to_pylist())
    return rows


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def share(n: int, total: int) -> float:
    return n / total if total else 0.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("demo")
    summary = generate(base / "raw", base / "truth", workers=1, **ARGS)
    return {"raw": base / "raw", "truth": base / "truth", "summary": summary}


@pytest.fixture(scope="module")
def review_rows(demo) -> dict:
    """Parsed TSV: per file the physical lines; records with 15 fields by review_id (last copy)."""
    files = sorted((demo["raw"] / "amazon_reviews").glob("*.tsv"))
    lines_by_file = {f.name: decode(f.read_bytes()).split("\n") for f in files}
    records = {}
    for lines in lines_by_file.values():
        for line in lines[1:]:
            fields = line.split("\t")
            if len(fields) == 15:
                records[fields[2]] = dict(zip(reviews.COLUMNS, fields))
    return {"files": files, "lines": lines_by_file, "records": records}


@pytest.fixture(scope="module")
def tweet_lines(demo) -> list[tuple[Path, bytes]]:
    out = []
    for path in sorted(p for p in (demo["raw"] / "tweets").rglob("*") if p.is_file()):
        for line in path.read_bytes().split(b"\n")[:-1]:
            out.append((path, line))
    return out


# --------------------------------------------------------------------------- determinism
SMALL = dict(reviews=2000, tweets=1500, comments=1500, seed=11, malformed_fraction=0.05, duplicate_fraction=0.05,
             start_date="2021-03-01", months=2, chunk_size=400)


def test_rerun_is_byte_identical_whatever_the_workers(tmp_path):
    out, truth = tmp_path / "raw", tmp_path / "truth"
    generate(out, truth, workers=1, **SMALL)
    expected = tree_digest(out, truth)
    assert len(expected) > 100
    (out / "tweets" / "2020").mkdir(parents=True)
    (out / "tweets" / "2020" / "stale-file").write_text("left over from an older run")
    generate(out, truth, workers=2, **SMALL)  # chunks made in two processes, previous output replaced
    assert tree_digest(out, truth) == expected  # the stale file is gone too


def test_different_seed_differs(tmp_path):
    generate(tmp_path / "a" / "raw", tmp_path / "a" / "truth", workers=1, **SMALL)
    generate(tmp_path / "b" / "raw", tmp_path / "b" / "truth", workers=1, **{**SMALL, "seed": 12})
    one = tree_digest(tmp_path / "a" / "raw", tmp_path / "a" / "truth")
    other = tree_digest(tmp_path / "b" / "raw", tmp_path / "b" / "truth")
    common = [k for k in set(one) & set(other) if k.endswith((".tsv", ".csv"))]
    assert len(common) > 20  # review and comment file names do not depend on the seed, their bytes do
    assert all(one[k] != other[k] for k in common)


def test_chunks_do_not_depend_on_each_other():
    from vocspark.demo.common import Params

    params = Params(seed=3, start=START, months=6, malformed_fraction=0.01, duplicate_fraction=0.01,
                    keywords=vocab_tweets.KEYWORDS, chunk_size=500)
    tasks = reviews.plan(3000, params)
    last = reviews.make_chunk(tasks[-1], params)
    reviews.make_chunk(tasks[0], params)
    assert reviews.make_chunk(tasks[-1], params).files == last.files


def test_text_helpers_are_deterministic():
    assert reviews.review_texts(50, seed=1) == reviews.review_texts(50, seed=1)
    assert reviews.review_texts(50, seed=1) != reviews.review_texts(50, seed=2)
    assert len(tweets.tweet_texts(30, seed=1)) == 30
    assert len(instagram.comment_texts(30, seed=1)) == 30
    electronics = " ".join(reviews.review_texts(200, seed=1, category="Electronics"))
    assert "battery" in electronics and "novel" not in electronics


# --------------------------------------------------------------------------- amazon reviews
def test_reviews_tsv_layout(demo, review_rows):
    names = [f.name for f in review_rows["files"]]
    assert len({n.split("_v1_00")[0] for n in names}) == 20
    pattern = re.compile(r"^amazon_reviews_us_[A-Za-z_]+_v1_00(\.part-\d{5})?\.tsv$")
    assert all(pattern.match(n) for n in names), names
    assert any(".part-" in n for n in names)  # Books has more rows than a chunk
    for lines in review_rows["lines"].values():
        assert lines[0].split("\t") == list(reviews.COLUMNS)
        assert lines[-1] == ""  # every record ends with a newline
    recs = list(review_rows["records"].values())
    assert len(recs) > 0.9 * N_REVIEWS
    assert all(re.fullmatch(r"R[0-9A-Z]{13}", r["review_id"]) for r in recs)
    assert all(re.fullmatch(r"B0[0-9A-Z]{8}", r["product_id"]) for r in recs)
    assert all(r["customer_id"].isdigit() and r["product_parent"].isdigit() for r in recs)
    assert all(r["vine"] in "YN" and r["verified_purchase"] in "YN" for r in recs)
    ok = [r for r in recs if r["star_rating"].isdigit()]
    assert {int(r["star_rating"]) for r in ok} == {1, 2, 3, 4, 5}
    assert all(int(r["helpful_votes"]) <= int(r["total_votes"]) for r in recs)
    categories = collections.defaultdict(set)
    for r in recs:
        categories[r["product_id"]].add(r["product_category"])
    assert all(len(c) == 1 for c in categories.values())  # a product belongs to one category
    titles = collections.defaultdict(set)
    for r in recs:
        titles[r["product_id"]].add((r["product_title"], r["product_parent"]))
    assert all(len(t) == 1 for t in titles.values())  # the same title in every chunk
    books = [n for n in names if "_Books_" in n]
    assert len(books) == 2  # products of one category spread over two chunk files
    assert len({c for cs in categories.values() for c in cs}) == 20
    markets = collections.Counter(r["marketplace"] for r in recs)
    assert set(markets) <= {"US", "UK", "DE", "FR", "JP"}
    assert 0.01 < 1 - markets["US"] / len(recs) < 0.035
    stars = collections.Counter(int(r["star_rating"]) for r in ok)
    assert stars[5] > stars[4] > stars[2] and stars[5] > 0.45 * len(ok)  # skewed to 5
    bodies = [r["review_body"] for r in recs]
    assert sum("<br />" in b for b in bodies) > 0.2 * len(bodies)
    assert any('"' in b for b in bodies) and any("http" in b for b in bodies)
    assert any(ord(ch) > 0x1F000 for b in bodies for ch in b)  # emoji


def test_review_truth_agrees_with_tsv(demo, review_rows):
    truth = read_truth(demo["truth"], "amazon_reviews")
    assert len(truth) == N_REVIEWS
    good = [t for t in truth if t["malformed"] is None]
    for t in good:
        rec = review_rows["records"][t["doc_id"]]
        assert int(rec["star_rating"]) == t["star_rating"]
        assert rec["customer_id"] == t["user_id"]
        assert rec["product_category"] == t["category"]
        assert rec["marketplace"] == t["marketplace"]
        assert rec["review_date"] == t["created_at"].strftime("%Y-%m-%d")
        assert START <= t["created_at"].replace(tzinfo=None) < END
        assert t["sentiment"] == ("positive" if t["star_rating"] >= 4 else "neutral" if t["star_rating"] == 3
                                  else "negative")
    months = {t["created_at"].strftime("%Y-%m") for t in truth}
    assert len(months) == 6


def test_review_malformed_kinds(demo, review_rows):
    truth = read_truth(demo["truth"], "amazon_reviews")
    by_kind = collections.Counter(t["malformed"] for t in truth if t["malformed"])
    assert set(by_kind) == set(reviews.MALFORMED_KINDS)
    assert abs(share(sum(by_kind.values()), len(truth)) - MALFORMED) < 0.015
    for kind, n in by_kind.items():
        assert abs(share(n, len(truth)) - MALFORMED / 6) < 0.008, kind
    records = review_rows["records"]
    all_lines = [line for lines in review_rows["lines"].values() for line in lines[1:]]
    for t in truth:
        kind = t["malformed"]
        if kind == "bad_date":
            with pytest.raises(ValueError):
                dt.datetime.strptime(records[t["doc_id"]]["review_date"], "%Y-%m-%d")
        elif kind == "missing_text":
            assert records[t["doc_id"]]["review_body"] == ""
        elif kind == "invalid_utf8":
            assert "\udcff\udcfe" in records[t["doc_id"]]["review_body"]
        elif kind == "over_long":
            assert len(records[t["doc_id"]]["review_body"]) > 5000
        elif kind == "bad_number":
            assert not records[t["doc_id"]]["star_rating"].isdigit()
        elif kind == "broken_quoting":
            assert t["doc_id"] not in records
            first = next(i for i, line in enumerate(all_lines) if f"\t{t['doc_id']}\t" in line)
            assert len(all_lines[first].split("\t")) == 14 and '"' in all_lines[first]
            assert len(all_lines[first + 1].split("\t")) == 2
    raw = b"".join(f.read_bytes() for f in review_rows["files"])
    assert raw.count(b"\xff\xfe") == by_kind["invalid_utf8"]  # malformed records are never duplicated
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_review_duplicates_are_identical_lines(demo, review_rows):
    truth = read_truth(demo["truth"], "amazon_reviews")
    dups = [t for t in truth if t["is_duplicate"]]
    assert abs(share(len(dups), len(truth)) - DUPLICATE) < 0.01
    first_seen = {}
    for k, t in enumerate(truth):  # truth rows are in file order
        first_seen.setdefault(t["doc_id"], (k, t["is_duplicate"]))
    assert all(not first_seen[t["doc_id"]][1] for t in dups)  # the original comes first, the copy second
    counts = collections.Counter(line for lines in review_rows["lines"].values() for line in lines[1:] if line)
    for t in dups:
        line = next(line for line in counts if f"\t{t['doc_id']}\t" in line)
        assert counts[line] >= 2


def test_review_sentiment_words_follow_the_rating(demo, review_rows):
    recs = [r for r in review_rows["records"].values() if r["star_rating"].isdigit()]
    positive = re.compile(r"\b(love|excellent|highly recommend|five stars|fantastic)\b", re.I)
    negative = re.compile(r"\b(terrible|do not buy|disappointed|waste of money|worst|one star)\b", re.I)
    pos = [int(r["star_rating"]) for r in recs if positive.search(r["review_body"])]
    neg = [int(r["star_rating"]) for r in recs if negative.search(r["review_body"])]
    assert np.mean(pos) > np.mean(neg) + 1.5
    assert any(s == 5 for s in neg) and any(s == 1 for s in pos)  # noisy, so a classifier cannot be perfect
    electronics = " ".join(r["review_body"] for r in recs if r["product_category"] == "Electronics")
    books = " ".join(r["review_body"] for r in recs if r["product_category"] == "Books")
    assert electronics.count("battery") > 10 * max(1, books.count("battery"))
    assert books.count("plot") > 10 * max(1, electronics.count("plot"))


# --------------------------------------------------------------------------- tweets
def test_keywords_agree_with_config():
    with open(CONF, encoding="utf-8") as fh:
        conf = yaml.safe_load(fh)
    assert list(vocab_tweets.KEYWORDS) == conf["sources"]["tweets"]["keywords"]


def test_off_topic_vocabulary_has_no_keyword():
    words = [*vocab_tweets.OFF_TOPIC["es"], *vocab_tweets.OFF_TOPIC["en"], *vocab_tweets.UNDETERMINED]
    for vocab in vocab_tweets.OFF_TOPIC_WORDS.values():
        words += [w for values in vocab.values() for w in values]
    for text in words:
        assert not any(k in text.lower() for k in vocab_tweets.KEYWORDS), text


def test_tweets_firehose_layout_and_json(demo, tweet_lines):
    path_re = re.compile(r"tweets/(\d{4})/(\d{2})/(\d{2})/(\d{2})/voc-tweets-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-\d{2}-\d{2}-"
                         r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    files = {p for p, _ in tweet_lines}
    hour_files = collections.Counter(p.parent for p in files)
    assert max(hour_files.values()) >= 2  # a second file in some hours
    parsed = []
    for path, line in tweet_lines:
        rel = path.relative_to(demo["raw"]).as_posix()
        m = path_re.search(rel)
        assert m, rel
        assert m.groups()[:4] == m.groups()[4:]  # file name time in the folder hour
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        parsed.append(obj)
        try:
            created = dt.datetime.strptime(obj["created_at"], "%Y-%m-%dT%H:%M:%S.000Z")
        except ValueError:
            continue
        assert created.strftime("%Y/%m/%d/%H") == "/".join(m.groups()[:4])
        assert START <= created < END
    assert len(parsed) > 0.95 * N_TWEETS
    good = [o for o in parsed if "text" in o and o["text"]]
    assert all(set(o) == {"id", "text", "created_at", "author_id", "lang", "public_metrics"} for o in good)
    assert all(re.fullmatch(r"\d{19}", o["id"]) and o["author_id"].isdigit() for o in good)
    assert all(set(o["public_metrics"]) == {"retweet_count", "reply_count", "like_count", "quote_count"} for o in good)
    langs = collections.Counter(o["lang"] for o in good)
    assert 0.62 < langs["es"] / (langs["es"] + langs["en"]) < 0.78
    assert 0.003 < (langs["pt"] + langs["und"]) / len(good) < 0.025
    texts = " ".join(o["text"] for o in good)
    for marker in ("@MercaNova", "#", "https://t.co/", "envío", "atención", "reembolsó"):
        assert marker in texts, marker


def test_tweet_truth_relevance_and_support(demo, tweet_lines):
    truth = {t["doc_id"]: t for t in read_truth(demo["truth"], "tweets")}
    pattern = keyword_regex(vocab_tweets.KEYWORDS)
    checked = 0
    for _, line in tweet_lines:
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        t = truth[obj["id"]]
        assert t["user_id"] == obj["author_id"] and t["lang"] == obj["lang"]
        if t["malformed"] is None:
            assert t["is_relevant"] == (pattern.search(obj["text"]) is not None)
            checked += 1
    assert checked > 0.9 * N_TWEETS
    main = [t for t in truth.values() if t["lang"] in ("es", "en") and not t["is_duplicate"]]
    irrelevant = sum(not t["is_relevant"] for t in main)
    assert 0.07 < irrelevant / len(main) < 0.13
    on_topic = [t for t in main if t["subject"] is not None]
    assert all(t["is_relevant"] for t in on_topic)
    support = share(sum(t["needs_support"] for t in on_topic), len(on_topic))
    assert 0.30 <= support <= 0.42
    assert {t["subject"] for t in on_topic} == set(vocab_tweets.SUBJECTS)


def test_tweet_words_follow_subject_and_sentiment(demo, tweet_lines):
    truth = {t["doc_id"]: t for t in read_truth(demo["truth"], "tweets")}
    by_label = collections.defaultdict(list)
    for _, line in tweet_lines:
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        t = truth[obj["id"]]
        if t["malformed"] is None and t["subject"] and t["lang"] in ("es", "en"):
            by_label[t["sentiment"]].append(obj["text"].lower())
            by_label[t["subject"]].append(obj["text"].lower())
    negative = re.compile(r"nadie|nunca|pésim|desastre|nobody|never|terrible|worst|broken|roto|unacceptable")
    positive = re.compile(r"gracias|genial|excelente|increíble|thank|great|amazing|love|perfect")

    def rate(pattern, label):
        return np.mean([bool(pattern.search(x)) for x in by_label[label]])

    assert rate(negative, "negative") > 3 * rate(negative, "positive")
    assert rate(positive, "positive") > 2 * rate(positive, "negative")
    assert rate(re.compile(r"reembolso|refund"), "refund") > 0.7 > 0.3 > rate(re.compile(r"reembolso|refund"), "price")
    assert rate(re.compile(r"\bapp\b|web"), "website_app") > 0.8


def test_tweet_malformed_and_duplicates(demo, tweet_lines):
    truth = read_truth(demo["truth"], "tweets")
    by_kind = collections.Counter(t["malformed"] for t in truth if t["malformed"])
    assert set(by_kind) == set(tweets.MALFORMED_KINDS)
    for n in by_kind.values():
        assert abs(share(n, len(truth)) - MALFORMED / 5) < 0.01
    broken = invalid = bad_dates = no_text = long_text = 0
    for _, line in tweet_lines:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            invalid += 1
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            broken += 1
            continue
        if not obj.get("text"):
            no_text += 1
        elif len(obj["text"]) > 5000:
            long_text += 1
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z", obj["created_at"]):
            bad_dates += 1
        else:
            try:
                dt.datetime.strptime(obj["created_at"], "%Y-%m-%dT%H:%M:%S.000Z")
            except ValueError:
                bad_dates += 1
    assert (broken, invalid, bad_dates, no_text, long_text) == (
        by_kind["broken_json"], by_kind["invalid_utf8"], by_kind["bad_date"], by_kind["missing_text"],
        by_kind["over_long"])
    dups = [t for t in truth if t["is_duplicate"]]
    assert abs(share(len(dups), len(truth)) - DUPLICATE) < 0.012
    by_hour = collections.defaultdict(collections.Counter)
    for path, line in tweet_lines:
        by_hour[path.parent][line] += 1
    in_other_file = 0
    for t in dups:
        hour_dir = demo["raw"] / Path(t["file"]).parent
        copies = [line for line, n in by_hour[hour_dir].items() if f'"id":"{t["doc_id"]}"'.encode() in line]
        assert len(copies) == 1 and by_hour[hour_dir][copies[0]] >= 2  # identical line twice in the same hour
        in_other_file += sum(1 for p in (demo["raw"] / Path(t["file"]).parent).iterdir()
                             if copies[0] in p.read_bytes().split(b"\n")) >= 2
    assert in_other_file > 0.2 * len(dups)


# --------------------------------------------------------------------------- instagram
def _csv_records(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(decode(path.read_bytes()), newline="")))


def test_instagram_csv_rfc4180_and_truth(demo):
    files = sorted((demo["raw"] / "instagram").glob("*.csv"))
    assert [f.name for f in files] == [f"comments_2021-{m:02d}.csv" for m in range(1, 7)]
    truth = read_truth(demo["truth"], "instagram")
    assert len(truth) == N_COMMENTS
    by_file = collections.defaultdict(list)
    for t in truth:
        by_file[t["file"]].append(t)
    newline_texts = quoted_quotes = 0
    from vocspark.sources.ids import hashed_doc_id_py

    for f in files:
        records = _csv_records(f)
        assert records[0] == ["interaction_date", "user_name", "url", "text"]
        rows = by_file[f"instagram/{f.name}"]
        assert len(records) - 1 == len(rows)  # no malformed row swallows another
        for rec, t in zip(records[1:], rows):
            if t["malformed"] is not None:
                continue
            assert len(rec) == 4
            date, user, url, text = rec
            created = dt.datetime.strptime(date, "%Y-%m-%d %H:%M:%S")
            assert f.name == f"comments_{created:%Y-%m}.csv"
            assert re.fullmatch(r"https://www\.instagram\.com/p/[A-Za-z0-9_-]{11}/", url)
            assert user == t["user_id"] and created == t["created_at"].replace(tzinfo=None)
            assert t["doc_id"] == hashed_doc_id_py("instagram", user, created, text)
            newline_texts += "\n" in text
            quoted_quotes += '"' in text
    assert newline_texts > 0.03 * N_COMMENTS and quoted_quotes > 0
    raw = decode(files[0].read_bytes())
    assert '""' in raw and '\n"' not in raw.split("\n", 1)[0]


def test_instagram_malformed_rows(demo):
    truth = read_truth(demo["truth"], "instagram")
    by_kind = collections.Counter(t["malformed"] for t in truth if t["malformed"])
    assert set(by_kind) == set(instagram.MALFORMED_KINDS)
    for n in by_kind.values():
        assert abs(share(n, len(truth)) - MALFORMED / 5) < 0.01
    details = collections.Counter(t["malformed_detail"] for t in truth if t["malformed"] == "broken_quoting")
    assert set(details) == {"stray_quotes", "extra_commas"}
    for f in sorted((demo["raw"] / "instagram").glob("*.csv")):
        records = _csv_records(f)[1:]
        rows = [t for t in truth if t["file"] == f"instagram/{f.name}"]
        lines = decode(f.read_bytes()).split("\n")
        for rec, t in zip(records, rows):
            if t["malformed_detail"] == "extra_commas":
                assert len(rec) > 4
            elif t["malformed_detail"] == "stray_quotes":
                line = next(line for line in lines if line.startswith(f"{t['created_at']:%Y-%m-%d %H:%M:%S},{t['user_id']},"))
                field = line.split(",", 3)[3]
                assert field.startswith('"') and field.endswith('"') and '""' not in field
                assert field.count('"') == 4  # balanced: never an unterminated quote
            elif t["malformed"] == "missing_text":
                assert rec[3] == ""
            elif t["malformed"] == "over_long":
                assert len(rec[3]) > 5000
            elif t["malformed"] == "invalid_utf8":
                assert "\udcff\udcfe" in rec[3]
            elif t["malformed"] == "bad_date":
                with pytest.raises(ValueError):
                    dt.datetime.strptime(rec[0], "%Y-%m-%d %H:%M:%S")
    dups = [t for t in truth if t["is_duplicate"]]
    assert abs(share(len(dups), len(truth)) - DUPLICATE) < 0.012
    ids = collections.Counter(t["doc_id"] for t in truth if t["doc_id"])
    assert all(ids[t["doc_id"]] >= 2 for t in dups)


def test_instagram_users_sentences_and_subjects(demo):
    truth = [t for t in read_truth(demo["truth"], "instagram") if not t["is_duplicate"]]
    per_user = collections.Counter(t["user_id"] for t in truth)
    counts = np.array(sorted(per_user.values(), reverse=True))
    assert counts[0] >= 10 * np.median(counts)  # heavy tail
    top = counts[: max(1, len(counts) // 10)].sum()
    assert top / counts.sum() > 0.35
    dominant_share = []
    for user, n in per_user.items():
        if n >= 8:
            mine = [t for t in truth if t["user_id"] == user]
            assert len({t["user_dominant_subject"] for t in mine}) == 1
            dominant_share.append(np.mean([t["subject"] == t["user_dominant_subject"] for t in mine]))
    assert len(dominant_share) >= 20 and 0.6 <= np.mean(dominant_share) <= 0.85
    severity = vocab_instagram.SEVERITY
    for t in truth:
        cats = t["sentence_categories"]
        assert 1 <= len(cats) <= 4 and len(t["sentence_subjects"]) == len(cats)
        assert t["category"] == max(cats, key=severity.get)
    mixed = sum(len(set(t["sentence_categories"])) > 1 for t in truth)
    assert mixed > 0.2 * len(truth)
    assert {t["created_at"].strftime("%Y-%m") for t in truth} == {f"2021-{m:02d}" for m in range(1, 7)}


def test_instagram_category_words(demo):
    """Praise comments use praise words, problem comments problem words (statistically)."""
    truth = [t for t in read_truth(demo["truth"], "instagram") if t["malformed"] is None and not t["is_duplicate"]]
    texts = {}
    for f in sorted((demo["raw"] / "instagram").glob("*.csv")):
        for rec in _csv_records(f)[1:]:
            if len(rec) == 4:
                texts[(rec[1], rec[0])] = rec[3]
    praise_words = re.compile(r"adorei|amei|ótim|excelente|perfeit", re.I)
    problem_words = re.compile(r"não entregaram|veio quebrado|cobrança duplicada|não consigo|não recebi", re.I)

    def rate(pattern, cats):
        sel = [texts[(t["user_id"], f"{t['created_at']:%Y-%m-%d %H:%M:%S}")] for t in truth
               if set(t["sentence_categories"]) == {cats}]
        return np.mean([bool(pattern.search(x)) for x in sel])

    assert rate(praise_words, "praise") > 0.6 > 0.2 > rate(praise_words, "problem")
    assert rate(problem_words, "problem") > 2 * rate(problem_words, "praise")


def test_hashed_ids_match_the_ingest_formula():
    from vocspark.sources.ids import hashed_doc_id_py

    users, dates, texts = ["ana.silva1", "joao_2"], ["2021-03-04 05:06:07", "2021-12-31 23:59:59"], ["Olá, \"x\"\nã", ""]
    expected = [hashed_doc_id_py("instagram", u, dt.datetime.strptime(d, "%Y-%m-%d %H:%M:%S"), t)
                for u, d, t in zip(users, dates, texts)]
    assert instagram.hashed_ids(users, dates, texts) == expected


# --------------------------------------------------------------------------- summary and job
def test_summary_matches_files_and_truth(demo):
    summary = json.loads((demo["truth"] / "summary.json").read_text(encoding="utf-8"))
    assert summary["sources"] == demo["summary"]["sources"]
    for source in ("amazon_reviews", "tweets", "instagram"):
        s = summary["sources"][source]
        truth = read_truth(demo["truth"], source)
        assert s["records"] == len(truth)
        assert s["duplicates"] == sum(t["is_duplicate"] for t in truth)
        assert s["malformed"] == dict(collections.Counter(t["malformed"] for t in truth if t["malformed"]))
        files = [p for p in (demo["raw"] / source).rglob("*") if p.is_file()]
        assert s["files"] == len(files)
        assert s["physical_lines"] == sum(p.read_bytes().count(b"\n") for p in files)
    r = summary["sources"]["amazon_reviews"]
    assert r["physical_lines"] == r["records"] + r["header_lines"] + r["malformed"]["broken_quoting"]
    t = summary["sources"]["tweets"]
    assert t["irrelevant"] > 0 and t["wrong_language"] > 0 and r["wrong_marketplace"] > 0
    assert summary["params"]["seed"] == 7


def test_generate_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="malformed_fraction"):
        generate(tmp_path / "raw", malformed_fraction=1.5)
    with pytest.raises(ValueError, match="tweets"):
        generate(tmp_path / "raw", tweets=-1)
    with pytest.raises(ValueError, match="start_date"):
        generate(tmp_path / "raw", start_date="01/02/2021")


def test_job_uses_config_defaults_and_local_paths_only(tmp_path):
    import argparse

    cfg = config_mod.load(CONF, {"base_uri": str(tmp_path / "base"), "demo.reviews": 300, "demo.tweets": 200,
                                 "demo.comments": 100, "demo.seed": 5})
    parser = argparse.ArgumentParser()
    job.add_arguments(parser)
    args = parser.parse_args(["--tweets", "150", "--workers", "1"])
    summary = job.run(None, cfg, args)
    counts = {s: v["records"] for s, v in summary["sources"].items()}
    assert counts == {"amazon_reviews": 300, "tweets": 150, "instagram": 100}
    assert (tmp_path / "base" / "raw" / "instagram" / "comments_2021-01.csv").exists()
    assert (tmp_path / "base" / "truth" / "summary.json").exists()
    with pytest.raises(ValueError, match="local filesystem only"):
        job.run(None, cfg, parser.parse_args(["--out", "s3://bucket/raw"]))
    with pytest.raises(SystemExit):
        parser.parse_args(["--malformed-fraction", "2"])
