"""Amazon Customer Reviews TSV (English): ``amazon_reviews/amazon_reviews_us_<Category>_v1_00.tsv``.

One file per category, or, when a category has more than one chunk of rows, one file per chunk
(``..._v1_00.part-00001.tsv``); every file starts with the 15 column names. Tab separated, no quoting: ``"``
appears literally in the text, as in the public dataset.

Reviews per category come from a multinomial draw over the category shares; each chunk is seeded from
(seed, source, category, part). Products (id, parent, title) are pure functions of (seed, category, product
index) and customers of (seed, customer index), so they agree across chunks and processes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vocspark.demo import vocab_reviews as V
from vocspark.demo.common import (
    OVER_LONG_CHARS,
    ChunkOutput,
    Params,
    base_counts,
    encode,
    epoch_seconds,
    list_column,
    plan_defects,
    timestamps_us,
    truth_parquet,
)
from vocspark.demo.rand import (
    base36_upper,
    base64url,
    chunk_rng,
    heavy_tailed_index,
    mix64,
    seed_key,
)
from vocspark.demo.text import (
    INVALID_UTF8,
    HashPicker,
    RngPicker,
    as_vocab,
    insert_at_word,
    join_positions,
    make_over_long,
    render_grouped,
    render_rows,
)

SOURCE = "amazon_reviews"
COLUMNS = (
    "marketplace", "customer_id", "review_id", "product_id", "product_parent", "product_title",
    "product_category", "star_rating", "helpful_votes", "total_votes", "vine", "verified_purchase",
    "review_headline", "review_body", "review_date",
)
HEADER = "\t".join(COLUMNS) + "\n"
MALFORMED_KINDS = ("broken_quoting", "bad_date", "missing_text", "invalid_utf8", "over_long", "bad_number")
OTHER_MARKETPLACES = ("UK", "DE", "FR", "JP")
WRONG_MARKETPLACE_SHARE = 0.02
MAX_SENTENCES = 6
SENTENCE_COUNT_SHARES = (0.12, 0.22, 0.26, 0.20, 0.12, 0.08)
SEPARATORS = np.array([" ", "<br />", "<br /><br />", "  "], dtype=object)
SEPARATOR_SHARES = (0.55, 0.25, 0.15, 0.05)
_SENT_IDX = {name: i for i, name in enumerate(V.SENTIMENTS)}


def file_name(category: str, part: int | None) -> str:
    stem = f"amazon_reviews_us_{category.replace(' ', '_').replace('&', 'and')}_v1_00"
    return f"{SOURCE}/{stem}.tsv" if part is None else f"{SOURCE}/{stem}.part-{part + 1:05d}.tsv"


@dataclass(frozen=True)
class Task:
    source: str
    index: int  # chunk number within the source (order of writing)
    category_index: int
    part: int
    n_parts: int
    n: int
    offset: int  # position of the chunk's first review within its category
    products: int  # product pool of the category
    customers: int  # customer pool of the whole source


def plan(n: int, params: Params) -> list[Task]:
    shares = np.array([s for _, s in V.CATEGORIES], dtype=float)
    counts = chunk_rng(params.seed, SOURCE, "plan").multinomial(n, shares / shares.sum())
    customers = max(100, n // 3)
    tasks: list[Task] = []
    for c, n_c in enumerate(counts.tolist()):
        n_parts = -(-n_c // params.chunk_size)
        for part in range(n_parts):
            offset = part * params.chunk_size
            tasks.append(Task(SOURCE, len(tasks), c, part, n_parts, min(params.chunk_size, n_c - offset), offset,
                              max(20, n_c // 12), customers))
    return tasks


# --------------------------------------------------------------------------- vocabulary (compiled once per process)
_VOCAB_CACHE: dict[int, dict] = {}


def _category_vocab(c: int) -> dict:
    if c not in _VOCAB_CACHE:
        name = V.CATEGORIES[c][0]
        merged = {**V.COMMON_WORDS, **{k: v for k, v in V.CATEGORY_WORDS[name].items() if k != "titles"}}
        plural = [f.endswith("s") and not f.endswith(("ss", "us")) for f in merged["feature"]]
        merged["feature_is"] = [f + (" are" if pl else " is") for f, pl in zip(merged["feature"], plural)]
        merged["feature_was"] = [f + (" were" if pl else " was") for f, pl in zip(merged["feature"], plural)]
        _VOCAB_CACHE[c] = {
            "vocab": as_vocab(merged),
            "titles": V.CATEGORY_WORDS[name].get("titles", V.DEFAULT_TITLES),
            "sentences": {i: V.SENTENCES[s] for i, s in enumerate(V.SENTIMENTS)},
            "headlines": {i: V.HEADLINES[s] for i, s in enumerate(V.SENTIMENTS)},
        }
    return _VOCAB_CACHE[c]


def _mix40(x: np.ndarray) -> np.ndarray:
    """A bijection on 40-bit integers (odd multipliers and xor-shifts modulo 2**40)."""
    m = np.uint64((1 << 40) - 1)
    x = np.asarray(x, dtype=np.uint64) & m
    x = (x * np.uint64(0x9E3779B97F4B)) & m
    x ^= x >> np.uint64(19)
    x = (x * np.uint64(0xC2B2AE3D27D5)) & m
    x ^= x >> np.uint64(23)
    return x


def product_attributes(seed: int, category_index: int, product_index: np.ndarray) -> dict[str, list[str]]:
    """id (``B0`` + 8 characters, unique across categories), parent and title of the given products."""
    vocab = _category_vocab(category_index)
    key40 = (np.uint64(category_index) << np.uint64(35)) | np.asarray(product_index, dtype=np.uint64)
    salt = np.uint64(int(seed_key(seed, SOURCE, "product")) & ((1 << 40) - 1))
    ids = ["B0" + s for s in base36_upper(_mix40(key40 ^ salt), 8)]
    hashed = mix64(key40 ^ seed_key(seed, SOURCE, "product-hash"))
    parents = (hashed % np.uint64(900_000_000) + np.uint64(100_000_000)).astype(str).tolist()
    titles = render_rows(vocab["titles"], np.arange(len(ids)), HashPicker(hashed), vocab["vocab"])
    return {"product_id": ids, "product_parent": parents, "product_title": titles.tolist()}


def customer_ids(seed: int, customer_index: np.ndarray) -> list[str]:
    """Distinct digits per customer: a 32-bit bijection of the index, offset to at least 8 digits."""
    key = np.uint64(int(seed_key(seed, SOURCE, "customer")) & 0xFFFFFFFF)
    x = (np.asarray(customer_index, dtype=np.uint64) & np.uint64(0xFFFFFFFF)) ^ key
    m = np.uint64(0xFFFFFFFF)
    x = (x * np.uint64(0x7FEB352D)) & m
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & m
    x ^= x >> np.uint64(16)
    return (x + np.uint64(10_000_000)).astype(str).tolist()


# --------------------------------------------------------------------------- text
def review_text_arrays(rng: np.random.Generator, category_index: int, star: np.ndarray) -> dict[str, np.ndarray]:
    """Bodies, headlines and per-sentence sentiments for reviews of one category with the given ratings."""
    n = star.size
    voc = _category_vocab(category_index)
    pick = RngPicker(rng)
    n_sent = rng.choice(np.arange(1, MAX_SENTENCES + 1), size=n, p=SENTENCE_COUNT_SHARES)
    probs = np.cumsum(np.array(V.SENTENCE_SENTIMENT), axis=1)[star - 1]
    columns, sentiments = [], []
    for p in range(MAX_SENTENCES):
        rows = np.flatnonzero(n_sent > p)
        col = np.empty(n, dtype=object)
        sent = np.full(n, -1, dtype=np.int64)
        if rows.size:
            u = rng.random(rows.size)
            s = (u[:, None] > probs[rows]).sum(axis=1)
            col[rows] = render_grouped(s, voc["sentences"], pick, voc["vocab"])
            sent[rows] = s
        columns.append(col)
        sentiments.append(sent)
    seps = [SEPARATORS[rng.choice(len(SEPARATORS), size=n, p=SEPARATOR_SHARES)] for _ in range(MAX_SENTENCES)]
    body = join_positions(columns, n_sent, seps)
    # star class of the headline (with noise), emoji and links
    star_class = np.where(star >= 4, 0, np.where(star == 3, 1, 2))
    noisy = rng.random(n) < 0.1
    head_class = np.where(noisy, rng.integers(0, 3, size=n), star_class)
    headline = render_grouped(head_class, voc["headlines"], pick, voc["vocab"])
    star_head = rng.random(n) < 0.3
    headline[star_head] = np.array(V.STAR_HEADLINES, dtype=object)[star[star_head] - 1]
    emoji_rows = np.flatnonzero(rng.random(n) < 0.08)
    if emoji_rows.size:
        for cls in range(3):
            rows = emoji_rows[star_class[emoji_rows] == cls]
            options = np.array(V.EMOJI[V.SENTIMENTS[cls]], dtype=object)
            body[rows] = body[rows] + " " + options[rng.integers(0, len(options), size=rows.size)]
    link_rows = np.flatnonzero(rng.random(n) < 0.015)
    if link_rows.size:
        codes = np.array(base64url(rng.integers(0, 2**63 - 1, size=link_rows.size, dtype=np.int64), 11), dtype=object)
        body[link_rows] = body[link_rows] + " Video review: https://www.youtube.com/watch?v=" + codes
    stacked = np.stack(sentiments, axis=1)  # n x MAX_SENTENCES, -1 = no sentence
    return {"body": body, "headline": headline, "sentence_sentiments": stacked, "n_sentences": n_sent}


def review_texts(n: int, seed: int = 0, category: str | None = None) -> list[str]:
    """``n`` review bodies (no malformed ones), e.g. for text-processing benchmarks."""
    names = [c for c, _ in V.CATEGORIES]
    rng = chunk_rng(seed, SOURCE, "texts")
    cats = [names.index(category)] if category else list(range(len(names)))
    which = rng.integers(0, len(cats), size=n)
    out = np.empty(n, dtype=object)
    for j, c in enumerate(cats):
        rows = np.flatnonzero(which == j)
        if rows.size:
            star = rng.choice(5, size=rows.size, p=V.STAR_SHARES) + 1
            out[rows] = review_text_arrays(rng, c, star)["body"]
    return out.tolist()


# --------------------------------------------------------------------------- one chunk
def _bad_date(rng: np.random.Generator, date: str) -> tuple[str, str]:
    y, m, d = date.split("-")
    options = [(f"{y}-02-30", "impossible_day"), ("yesterday", "word"), (f"{y}-13-{d}", "impossible_month"),
               (f"{d}/{m}/{y}", "day_first"), ("0000-00-00", "zeros")]
    return options[int(rng.integers(0, len(options)))]


def _break_quoting(rng: np.random.Generator, body: str) -> str:
    """An opening quote and then a newline inside the body: the physical line splits in two."""
    spaces = [i for i, ch in enumerate(body) if ch == " "]
    if len(spaces) >= 2:
        ia = int(rng.integers(0, len(spaces) - 1))
        ib = int(rng.integers(ia + 1, len(spaces)))
        a, b = spaces[ia], spaces[ib]
        return body[: a + 1] + '"' + body[a + 1 : b] + "\n" + body[b + 1 :]
    return body + ' "see the photos\nattached'


def make_chunk(task: Task, params: Params) -> ChunkOutput:
    rng = chunk_rng(params.seed, SOURCE, task.category_index, task.part)
    n = task.n
    category = V.CATEGORIES[task.category_index][0]
    star = rng.choice(5, size=n, p=V.STAR_SHARES) + 1
    texts = review_text_arrays(rng, task.category_index, star)
    body, headline = texts["body"], texts["headline"]

    # who, what, when
    product_index = heavy_tailed_index(rng, task.products, n, power=2.5)
    uniq, inverse = np.unique(product_index, return_inverse=True)
    prod = product_attributes(params.seed, task.category_index, uniq)
    prod_cols = {k: np.array(v, dtype=object)[inverse] for k, v in prod.items()}
    customer = np.array(customer_ids(params.seed, heavy_tailed_index(rng, task.customers, n, power=2.0)), dtype=object)
    review_key = (np.uint64(task.category_index) << np.uint64(48)) | (
        np.arange(task.offset, task.offset + n, dtype=np.uint64)
    )
    review_hash = mix64(review_key ^ seed_key(params.seed, SOURCE, "review"))
    review_id = np.array(["R" + s for s in base36_upper(review_hash, 13)], dtype=object)
    start_day = epoch_seconds(params.start) // 86400
    n_days = max(1, (epoch_seconds(params.end) - epoch_seconds(params.start)) // 86400)
    day = start_day + (rng.random(n) ** 0.85 * n_days).astype(np.int64)  # slowly growing volume
    date = np.datetime_as_string(day.astype("datetime64[D]"), unit="D").astype(object)
    market = np.full(n, "US", dtype=object)
    foreign = rng.random(n) < WRONG_MARKETPLACE_SHARE
    market[foreign] = np.array(OTHER_MARKETPLACES, dtype=object)[rng.integers(0, 4, size=int(foreign.sum()))]
    vine = np.where(rng.random(n) < 0.015, "Y", "N").astype(object)
    verified = np.where((rng.random(n) < 0.82) & (vine == "N"), "Y", "N").astype(object)
    total = np.minimum(np.floor(np.exp(rng.normal(-0.8, 1.6, size=n))).astype(np.int64), 5000)
    helpful = rng.binomial(total, 0.75)

    # malformed records and duplicates
    defects = plan_defects(rng, n, MALFORMED_KINDS, params.malformed_fraction, params.duplicate_fraction)
    star_text = star.astype(str).astype(object)
    detail = np.full(n, None, dtype=object)
    for i in np.flatnonzero(defects.malformed != None).tolist():  # noqa: E711 - few rows
        kind = defects.malformed[i]
        if kind == "broken_quoting":
            body[i] = _break_quoting(rng, body[i])
            detail[i] = "quote_newline"
        elif kind == "bad_date":
            date[i], detail[i] = _bad_date(rng, date[i])
        elif kind == "missing_text":
            body[i] = ""
            detail[i] = "empty_body"
        elif kind == "invalid_utf8":
            body[i] = insert_at_word([body[i]], rng, INVALID_UTF8)[0]
            detail[i] = "bytes_ff_fe"
        elif kind == "over_long":
            body[i] = make_over_long(body[i], OVER_LONG_CHARS)
            detail[i] = f"{len(body[i])}_chars"
        elif kind == "bad_number":
            s = int(star[i])
            options = [V.STAR_WORDS[s - 1], f"{s} stars", "N/A"]
            star_text[i] = options[int(rng.integers(0, 3))]
            detail[i] = "star_rating_text"

    fields = [market, customer, review_id, prod_cols["product_id"], prod_cols["product_parent"],
              prod_cols["product_title"], np.full(n, category, dtype=object), star_text,
              helpful.astype(str).astype(object), total.astype(str).astype(object), vine, verified, headline, body,
              date]
    lines = ["\t".join(row) for row in zip(*(f.tolist() for f in fields))]
    dup_rows = np.flatnonzero(defects.is_duplicate)
    for i in dup_rows.tolist():
        lines[i] = lines[defects.dup_of[i]]
    text = HEADER + "\n".join(lines) + ("\n" if lines else "")
    data = encode(text)

    # truth (duplicates repeat their original's values)
    src = np.where(defects.is_duplicate, defects.dup_of, np.arange(n))
    created = (day[src] * 86400).astype(np.int64)
    sent_matrix = texts["sentence_sentiments"][src]
    counts_per_row = (sent_matrix >= 0).sum(axis=1)
    sent_names = np.array(V.SENTIMENTS, dtype=object)[sent_matrix[sent_matrix >= 0]]
    star_src = star[src]
    sentiment = np.array(V.SENTIMENTS, dtype=object)[np.where(star_src >= 4, 0, np.where(star_src == 3, 1, 2))]
    rel = file_name(category, None if task.n_parts == 1 else task.part)
    truth = truth_parquet(
        {
            "source": SOURCE,
            "doc_id": review_id[src],
            "user_id": customer[src],
            "created_at": timestamps_us(created),
            "lang": "en",
            "category": category,
            "sentence_sentiments": list_column(sent_names, counts_per_row),
            "sentiment": sentiment,
            "star_rating": star_src.astype(np.int32),
            "marketplace": market[src],
            "malformed": defects.malformed,
            "malformed_detail": detail,
            "is_duplicate": defects.is_duplicate,
            "file": rel,
        },
        n,
    )
    counts = base_counts(defects)
    well_formed = (defects.malformed == None) & ~defects.is_duplicate  # noqa: E711
    counts.update(
        {
            "wrong_marketplace": int((well_formed & (market != "US")).sum()),
            "expected_kept": int((well_formed & (market == "US")).sum()),
            "physical_lines": data.count(b"\n"),
            "header_lines": 1,
        }
    )
    return ChunkOutput(SOURCE, task.index, files=[(rel, data)], truth=truth, counts=counts)
