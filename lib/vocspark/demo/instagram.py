"""Instagram-style comments (Portuguese) as CSV: ``instagram/comments_YYYY-MM.csv``, header
``interaction_date,user_name,url,text``, RFC 4180 quoting (a field holding a comma, a quote or a newline is
double-quoted, inner quotes doubled), records end with ``\\n``, ``interaction_date`` is ``yyyy-MM-dd HH:mm:ss`` UTC.

Users come from one pool (per seed and pool size): a log-normal activity weight each (a few users write most
comments), a dominant subject and the share of their comments about it (60-80 %). Comments per month come from a
multinomial draw; a month with more than one chunk of comments is written by several chunks, appended in order.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np

from vocspark.demo import vocab_instagram as V
from vocspark.demo.common import (
    OVER_LONG_CHARS,
    ChunkOutput,
    Params,
    base_counts,
    encode,
    epoch_seconds,
    iso_seconds,
    list_column,
    plan_defects,
    timestamps_us,
    truth_parquet,
)
from vocspark.demo.rand import base64url, chunk_rng, hash_pick, mix64, seed_key
from vocspark.demo.text import (
    INVALID_UTF8,
    RngPicker,
    as_vocab,
    insert_at_word,
    join_positions,
    make_over_long,
    render_grouped,
)

SOURCE = "instagram"
HEADER = "interaction_date,user_name,url,text\n"
MALFORMED_KINDS = ("broken_quoting", "bad_date", "missing_text", "invalid_utf8", "over_long")
MAX_SENTENCES = 4
SENTENCE_COUNT_SHARES = (0.30, 0.35, 0.22, 0.13)
GENERAL_SHARE = 0.15  # sentences that are general remarks about the store (no subject)
SAME_CATEGORY_SHARE = 0.45  # later sentences repeating the first sentence's category
NEWLINE_SHARE = 0.07  # comments whose sentences are on separate lines
COMMENTS_PER_USER = 7  # pool size = comments / this
USER_SIGMA = 1.5  # log-normal activity spread
# Brazil is UTC-3: activity by UTC hour of day.
DIURNAL = np.array([0.9, 0.8, 0.6, 0.4, 0.25, 0.15, 0.1, 0.1, 0.15, 0.25, 0.45, 0.6,
                    0.7, 0.75, 0.8, 0.85, 0.85, 0.85, 0.9, 0.95, 1.0, 1.0, 1.0, 0.95])


def file_name(year: int, month: int) -> str:
    return f"{SOURCE}/comments_{year:04d}-{month:02d}.csv"


@dataclass(frozen=True)
class Task:
    source: str
    index: int
    month_index: int
    part: int
    n: int
    t0: int  # epoch seconds of the month's first second (or of the span start)
    t1: int  # epoch seconds just after the month (or the span end)
    users: int


def plan(n: int, params: Params) -> list[Task]:
    bounds = [epoch_seconds(b) for b in params.month_starts()]
    durations = np.diff(np.array(bounds, dtype=float))
    trend = np.linspace(0.85, 1.15, len(durations))
    weights = durations * trend
    counts = chunk_rng(params.seed, SOURCE, "plan").multinomial(n, weights / weights.sum())
    users = max(10, n // COMMENTS_PER_USER)
    tasks: list[Task] = []
    for m, n_m in enumerate(counts.tolist()):
        for part in range(-(-n_m // params.chunk_size)):
            size = min(params.chunk_size, n_m - part * params.chunk_size)
            tasks.append(Task(SOURCE, len(tasks), m, part, size, bounds[m], bounds[m + 1], users))
    return tasks


# --------------------------------------------------------------------------- users
_USERS: dict[tuple[int, int], dict[str, np.ndarray]] = {}


def user_pool(seed: int, size: int) -> dict[str, np.ndarray]:
    """Activity (cumulative share), dominant subject and its share, per user index (cached per process)."""
    key = (seed, size)
    if key not in _USERS:
        rng = chunk_rng(seed, SOURCE, "users", size)
        weight = rng.lognormal(0.0, USER_SIGMA, size=size)
        cum = np.cumsum(weight)
        _USERS.clear()
        _USERS[key] = {
            "cum": cum / cum[-1],
            "dominant": rng.choice(len(V.SUBJECTS), size=size, p=V.SUBJECT_SHARES),
            "dominant_share": rng.uniform(0.6, 0.8, size=size),
        }
    return _USERS[key]


def user_names(seed: int, user_index: np.ndarray) -> list[str]:
    """Unique handles (the index is part of the name), e.g. ``ana.silva1234``."""
    keys = mix64(np.asarray(user_index, dtype=np.uint64) ^ seed_key(seed, SOURCE, "user-name"))
    first = np.array(V.FIRST_NAMES, dtype=object)[hash_pick(keys, 1, len(V.FIRST_NAMES))]
    last = np.array(V.LAST_NAMES, dtype=object)[hash_pick(keys, 2, len(V.LAST_NAMES))]
    sep = np.array([".", "_", ""], dtype=object)[hash_pick(keys, 3, 3)]
    return (first + sep + last + np.asarray(user_index).astype(str).astype(object)).tolist()


# --------------------------------------------------------------------------- text
_CACHE: dict[str, object] = {}


def _compiled() -> dict:
    if not _CACHE:
        sets = {}
        for si, subject in enumerate(V.SUBJECTS):
            for ci, category in enumerate(V.CATEGORIES):
                sets[si * len(V.CATEGORIES) + ci] = V.SENTENCES[subject][category]
        general0 = len(V.SUBJECTS) * len(V.CATEGORIES)
        for ci, category in enumerate(V.CATEGORIES):
            sets[general0 + ci] = V.GENERAL[category]
        _CACHE.update(sets=sets, general0=general0, vocab=as_vocab(V.WORDS))
    return _CACHE


def _obj(values) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def comment_text_arrays(rng: np.random.Generator, subject: np.ndarray) -> dict[str, np.ndarray]:
    """Texts of comments about the given subjects (indices into ``SUBJECTS``), with per-sentence labels."""
    comp = _compiled()
    pick = RngPicker(rng)
    n = subject.size
    n_sent = rng.choice(np.arange(1, MAX_SENTENCES + 1), size=n, p=SENTENCE_COUNT_SHARES)
    first = rng.choice(len(V.CATEGORIES), size=n, p=V.CATEGORY_SHARES)
    cats = rng.choice(len(V.CATEGORIES), size=(n, MAX_SENTENCES), p=V.CATEGORY_SHARES)
    cats = np.where(rng.random((n, MAX_SENTENCES)) < SAME_CATEGORY_SHARE, first[:, None], cats)
    cats[:, 0] = first
    position = np.arange(MAX_SENTENCES)[None, :]
    used = position < n_sent[:, None]
    general = (rng.random((n, MAX_SENTENCES)) < GENERAL_SHARE) & used & (n_sent[:, None] > 1)
    all_general = (general | ~used).all(axis=1)
    general[all_general, 0] = False
    columns = []
    for p in range(MAX_SENTENCES):
        rows = np.flatnonzero(n_sent > p)
        col = np.empty(n, dtype=object)
        if rows.size:
            gid = np.where(general[rows, p], comp["general0"] + cats[rows, p],
                           subject[rows] * len(V.CATEGORIES) + cats[rows, p])
            col[rows] = render_grouped(gid, comp["sets"], pick, comp["vocab"])
            if p > 0:  # draw again once where a sentence repeats the previous one
                again = np.flatnonzero(col[rows] == columns[p - 1][rows])
                if again.size:
                    col[rows[again]] = render_grouped(gid[again], comp["sets"], pick, comp["vocab"])
        columns.append(col)
    sep = np.where(rng.random(n) < NEWLINE_SHARE, "\n", " ").astype(object)
    text = join_positions(columns, n_sent, [sep] * MAX_SENTENCES)

    severity = np.where(used, cats, -1).max(axis=1)  # praise < complaint < problem
    praise = ((cats == 0) & used).sum(axis=1)
    score = praise - (((cats > 0) & used).sum(axis=1))
    sentiment = np.where(score > 0, "positive", np.where(score < 0, "negative", "neutral")).astype(object)

    # decorations: a mention of the store, emoji, hashtags, a friend tagged
    mention = np.flatnonzero(rng.random(n) < 0.12)
    text[mention] = V.BRAND_MENTION + " " + text[mention]
    emoji_rows = np.flatnonzero(rng.random(n) < 0.35)
    for ci, category in enumerate(V.CATEGORIES):
        rows = emoji_rows[severity[emoji_rows] == ci]
        options = _obj(V.EMOJI[category])
        text[rows] = text[rows] + " " + options[rng.integers(0, len(options), size=rows.size)]
    tag_rows = np.flatnonzero(rng.random(n) < 0.2)
    by_category = rng.random(tag_rows.size) < 0.4
    for si, subj in enumerate(V.SUBJECTS):
        rows = tag_rows[(subject[tag_rows] == si) & ~by_category]
        options = _obj(V.HASHTAGS[subj])
        text[rows] = text[rows] + " " + options[rng.integers(0, len(options), size=rows.size)]
    for ci, category in enumerate(V.CATEGORIES):
        rows = tag_rows[(severity[tag_rows] == ci) & by_category]
        options = _obj(V.CATEGORY_HASHTAGS[category])
        text[rows] = text[rows] + " " + options[rng.integers(0, len(options), size=rows.size)]
    friend = np.flatnonzero(rng.random(n) < 0.04)
    if friend.size:
        handles = (_obj(V.FIRST_NAMES)[rng.integers(0, len(V.FIRST_NAMES), size=friend.size)] + "_"
                   + _obj(V.LAST_NAMES)[rng.integers(0, len(V.LAST_NAMES), size=friend.size)])
        text[friend] = text[friend] + " @" + handles + " olha isso"

    subj_names = _obj(V.SUBJECTS)
    sentence_subjects = np.where(general, None, subj_names[np.repeat(subject[:, None], MAX_SENTENCES, axis=1)])
    return {
        "text": text,
        "category": _obj(V.CATEGORIES)[severity],
        "sentence_categories": _obj(V.CATEGORIES)[cats],  # n x MAX_SENTENCES, valid where used
        "sentence_subjects": sentence_subjects,
        "used": used,
        "sentiment": sentiment,
    }


def comment_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` comment texts (no malformed ones), e.g. for text-processing benchmarks."""
    rng = chunk_rng(seed, SOURCE, "texts")
    subject = rng.choice(len(V.SUBJECTS), size=n, p=V.SUBJECT_SHARES)
    return comment_text_arrays(rng, subject)["text"].tolist()


# --------------------------------------------------------------------------- one chunk
def hashed_ids(users: list[str], dates: list[str], texts: list[str]) -> list[str]:
    """``vocspark.sources.ids.hashed_doc_id_py("instagram", user, created_at, text)`` for many rows, from the
    ``yyyy-MM-dd HH:mm:ss`` strings directly (a test keeps the two equal)."""
    sep = "\x1f"
    prefix = SOURCE + sep
    return [
        hashlib.sha256((prefix + u + sep + d + sep + t).encode("utf-8")).hexdigest()[:32]
        for u, d, t in zip(users, dates, texts)
    ]


def _csv_field(value: str) -> str:
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _bad_date(rng: np.random.Generator, date: str) -> tuple[str, str]:
    y, m, d, time = date[:4], date[5:7], date[8:10], date[11:]
    options = [(f"{y}-02-30 {time}", "impossible_day"), ("ontem", "word"), (f"{d}/{m}/{y} {time[:5]}", "day_first"),
               (f"{y}-{m}-{d} 25:61:00", "impossible_time"), ("", "empty")]
    return options[int(rng.integers(0, len(options)))]


def _broken_quoting(rng: np.random.Generator, text: str) -> tuple[str, str]:
    """A field the parser cannot read as written, never an unterminated quote (that would swallow the file)."""
    flat = text.replace("\n", " ").replace('"', "")
    words = flat.split(" ")
    if rng.random() < 0.5:
        if len(words) < 3:
            words += ["quebrado", "aqui"]
        j = int(rng.integers(1, len(words) - 1))  # never the first or last word: `""` would read as an escape
        words[j] = '"' + words[j] + '"'
        return '"' + " ".join(words) + '"', "stray_quotes"
    if "," not in flat:
        flat = flat.replace(" ", ", ", 1) if " " in flat else flat + ", aqui"
    return flat, "extra_commas"


def make_chunk(task: Task, params: Params) -> ChunkOutput:
    rng = chunk_rng(params.seed, SOURCE, task.month_index, task.part)
    n = task.n
    n_days = max(1, (task.t1 - task.t0) // 86400)
    epoch = (task.t0 + rng.integers(0, n_days, size=n) * 86400
             + rng.choice(24, size=n, p=DIURNAL / DIURNAL.sum()) * 3600 + rng.integers(0, 3600, size=n))
    epoch = np.sort(np.minimum(epoch, task.t1 - 1))
    dates = np.char.replace(iso_seconds(epoch), "T", " ").astype(object)
    month_start = dt.datetime.fromtimestamp(task.t0, dt.timezone.utc)
    rel = file_name(month_start.year, month_start.month)

    pool = user_pool(params.seed, task.users)
    user = np.minimum(np.searchsorted(pool["cum"], rng.random(n), side="right"), task.users - 1)
    dominant = pool["dominant"][user]
    follows = rng.random(n) < pool["dominant_share"][user]
    other = (dominant + rng.integers(1, len(V.SUBJECTS), size=n)) % len(V.SUBJECTS)
    subject = np.where(follows, dominant, other)
    texts = comment_text_arrays(rng, subject)
    text = texts["text"]
    uniq, inverse = np.unique(user, return_inverse=True)
    names = _obj(user_names(params.seed, uniq))[inverse]
    start_day = epoch_seconds(params.start) // 86400
    day = epoch // 86400 - start_day
    post = np.maximum(day - (rng.geometric(0.6, size=n) - 1), 0) * 2 + rng.integers(0, 2, size=n)
    codes = base64url(mix64(post.astype(np.uint64) ^ seed_key(params.seed, SOURCE, "post")), 11)
    url = _obj(["https://www.instagram.com/p/" + c + "/" for c in codes])

    defects = plan_defects(rng, n, MALFORMED_KINDS, params.malformed_fraction, params.duplicate_fraction)
    doc_id = np.full(n, None, dtype=object)
    good = np.flatnonzero(defects.malformed == None)  # noqa: E711
    doc_id[good] = hashed_ids(names[good].tolist(), dates[good].tolist(), text[good].tolist())
    detail = np.full(n, None, dtype=object)
    raw_text = [_csv_field(t) for t in text.tolist()]
    for i in np.flatnonzero(defects.malformed != None).tolist():  # noqa: E711 - few rows
        kind = defects.malformed[i]
        if kind == "broken_quoting":
            raw_text[i], detail[i] = _broken_quoting(rng, text[i])
        elif kind == "bad_date":
            dates[i], detail[i] = _bad_date(rng, dates[i])
        elif kind == "missing_text":
            raw_text[i], detail[i] = "", "empty_text"
        elif kind == "invalid_utf8":
            raw_text[i] = _csv_field(insert_at_word([text[i]], rng, INVALID_UTF8)[0])
            detail[i] = "bytes_ff_fe"
        elif kind == "over_long":
            long_text = make_over_long(text[i], OVER_LONG_CHARS)
            raw_text[i] = _csv_field(long_text)
            detail[i] = f"{len(long_text)}_chars"
    lines = [f"{d},{u},{l},{t}\n" for d, u, l, t in zip(dates.tolist(), names.tolist(), url.tolist(), raw_text)]
    for i in np.flatnonzero(defects.is_duplicate).tolist():
        lines[i] = lines[defects.dup_of[i]]
    data = encode((HEADER if task.part == 0 else "") + "".join(lines))

    src = np.where(defects.is_duplicate, defects.dup_of, np.arange(n))
    used = texts["used"][src]
    subj_names = _obj(V.SUBJECTS)
    truth = truth_parquet(
        {
            "source": SOURCE,
            "doc_id": doc_id[src],
            "user_id": names[src],
            "created_at": timestamps_us(epoch[src]),
            "lang": "pt",
            "subject": subj_names[subject[src]],
            "category": texts["category"][src],
            "sentence_categories": list_column(texts["sentence_categories"][src][used], used.sum(axis=1)),
            "sentence_subjects": list_column(texts["sentence_subjects"][src][used], used.sum(axis=1)),
            "sentiment": texts["sentiment"][src],
            "malformed": defects.malformed,
            "malformed_detail": detail,
            "is_duplicate": defects.is_duplicate,
            "user_dominant_subject": subj_names[dominant[src]],
            "file": rel,
        },
        n,
    )
    counts = base_counts(defects)
    well_formed = (defects.malformed == None) & ~defects.is_duplicate  # noqa: E711
    counts.update(
        {
            "expected_kept": int(well_formed.sum()),
            "physical_lines": data.count(b"\n"),
            "header_lines": 1 if task.part == 0 else 0,
        }
    )
    return ChunkOutput(SOURCE, task.index, files=[(rel, data)], truth=truth, counts=counts)
