"""Tweets (Twitter API v2 shape) as JSON lines, laid out like a Kinesis Firehose delivery stream:
``tweets/YYYY/MM/DD/HH/voc-tweets-1-YYYY-MM-DD-HH-MM-SS-<uuid>`` (UTC hour of the records; no extension).

Tweets per hour come from one multinomial draw over the hours of the span (a daily rhythm, quieter weekends, a
slow trend and a few bursts). Hours are cut into pieces of at most ``PIECE_MAX`` tweets (one file each) and
consecutive pieces are packed into chunks; each chunk is seeded from (seed, source, chunk index). A duplicate
(Firehose's at-least-once delivery) repeats a line of the same hour, in the same file or in a second file of
that hour.

Tweet ids are snowflakes: milliseconds since Twitter's epoch << 22 | the tweet's global index (mod 2**22);
tweets are numbered in time order, so two tweets of one second never share an id.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np

from vocspark.demo import vocab_discrimination as DV
from vocspark.demo import vocab_tweets as V
from vocspark.demo.common import (
    OVER_LONG_CHARS,
    ChunkOutput,
    Params,
    base_counts,
    encode,
    epoch_seconds,
    iso_seconds,
    keyword_regex,
    plan_defects,
    timestamps_us,
    truth_parquet,
)
from vocspark.demo.rand import chunk_rng, heavy_tailed_index, mix64, seed_key, uuid_from, _encode
from vocspark.demo.text import INVALID_UTF8, RngPicker, as_vocab, insert_at_word, make_over_long, render_grouped

SOURCE = "tweets"
STREAM = "voc-tweets"
STREAM_VERSION = 1
PIECE_MAX = 20_000  # tweets per Firehose file (the buffer size)
MALFORMED_KINDS = ("broken_json", "bad_date", "missing_text", "invalid_utf8", "over_long")
LANGS = ("es", "en")
PT_SHARE, UND_SHARE, ES_SHARE = 0.006, 0.004, 0.70
IRRELEVANT_SHARE = 0.10
TWITTER_EPOCH_MS = 1288834974657
_ALNUM62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
# UTC hour-of-day activity (Spain and Latin America awake at different UTC hours).
DIURNAL = np.array([0.55, 0.45, 0.35, 0.25, 0.18, 0.15, 0.2, 0.35, 0.55, 0.7, 0.8, 0.85,
                    0.9, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.0, 0.95, 0.9, 0.8, 0.7])
_encode_json_string = json.encoder.encode_basestring  # the C encoder json.dumps(ensure_ascii=False) uses


@dataclass(frozen=True)
class Task:
    source: str
    index: int
    pieces: tuple[tuple[int, int, int], ...]  # (hour index from the span start, tweets, piece number in the hour)
    n: int
    offset: int  # global index of the chunk's first tweet
    authors: int


def _hour_weights(params: Params, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    start_hour = epoch_seconds(params.start) // 3600
    n_hours = max(1, (epoch_seconds(params.end) - epoch_seconds(params.start)) // 3600)
    hours = start_hour + np.arange(n_hours)
    hour_of_day = hours % 24
    weekday = ((hours // 24) + 3) % 7  # 1970-01-01 was a Thursday (3 with Monday = 0)
    weights = DIURNAL[hour_of_day] * np.where(weekday >= 5, 0.85, 1.0) * np.linspace(0.8, 1.2, n_hours)
    bursts = rng.choice(n_hours, size=max(1, n_hours // 500), replace=False)  # incidents: an outage, a sale
    weights[bursts] *= rng.uniform(3, 8, size=bursts.size)
    return int(start_hour), weights / weights.sum()


def plan(n: int, params: Params) -> list[Task]:
    rng = chunk_rng(params.seed, SOURCE, "plan")
    _, weights = _hour_weights(params, rng)
    counts = rng.multinomial(n, weights)
    pieces: list[tuple[int, int, int]] = []
    for h in np.flatnonzero(counts).tolist():
        c = int(counts[h])
        k = -(-c // PIECE_MAX)
        sizes = [c // k + (1 if j < c % k else 0) for j in range(k)]
        pieces.extend((h, s, j) for j, s in enumerate(sizes))
    tasks: list[Task] = []
    authors = max(50, n // 4)
    current: list[tuple[int, int, int]] = []
    size = offset = 0
    for piece in pieces:
        if current and size + piece[1] > params.chunk_size:
            tasks.append(Task(SOURCE, len(tasks), tuple(current), size, offset, authors))
            offset += size
            current, size = [], 0
        current.append(piece)
        size += piece[1]
    if current:
        tasks.append(Task(SOURCE, len(tasks), tuple(current), size, offset, authors))
    return tasks


# --------------------------------------------------------------------------- vocabulary
_CACHE: dict[str, object] = {}


def _compiled() -> dict:
    if not _CACHE:
        cores, vocabs = {}, {}
        for li, lang in enumerate(LANGS):
            voc = as_vocab(V.COMMON[lang])
            for si, subject in enumerate(V.SUBJECTS):
                for ti, sentiment in enumerate(V.SENTIMENTS):
                    gid = (li * len(V.SUBJECTS) + si) * len(V.SENTIMENTS) + ti
                    cores[gid] = V.CORES[lang][subject][sentiment]
                    vocabs[gid] = voc
        pt_sets, pt_meta = {}, []
        for subject, by_sentiment in V.PORTUGUESE.items():
            for sentiment, templates in by_sentiment.items():
                pt_sets[len(pt_meta)] = templates
                pt_meta.append((subject, sentiment))
        _CACHE.update(
            cores=cores,
            vocabs=vocabs,
            off_topic={li: V.OFF_TOPIC[lang] for li, lang in enumerate(LANGS)},
            off_vocab={li: as_vocab(V.OFF_TOPIC_WORDS[lang]) for li, lang in enumerate(LANGS)},
            pt_sets=pt_sets,
            pt_meta=pt_meta,
            pt_vocab=as_vocab(V.PORTUGUESE_WORDS),
        )
    return _CACHE


def _obj(values) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def _with(base: np.ndarray, mask: np.ndarray, piece: np.ndarray | str, before: str = " ") -> np.ndarray:
    """``base`` with ``before + piece`` appended where ``mask``."""
    rows = np.flatnonzero(mask)
    if rows.size:
        extra = piece if isinstance(piece, str) else piece[rows]
        base[rows] = base[rows] + before + extra
    return base


def tweet_text_arrays(
    rng: np.random.Generator, n: int, keywords: tuple[str, ...], disc_rng: np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """Texts and labels of ``n`` tweets (no malformed ones).

    With ``disc_rng`` (a generator of its own, so every other draw and text stays as it was), a share of the
    on-topic Spanish tweets gets a discriminatory or a respectful extra sentence (see
    :mod:`vocspark.demo.vocab_discrimination`); ``is_discriminatory`` is set for every Spanish tweet then.
    """
    comp = _compiled()
    pick = RngPicker(rng)
    u = rng.random(n)
    es_below = PT_SHARE + UND_SHARE + (1 - PT_SHARE - UND_SHARE) * ES_SHARE
    lang = np.select([u < PT_SHARE, u < PT_SHARE + UND_SHARE, u < es_below], ["pt", "und", "es"], "en").astype(object)
    li = np.where(lang == "en", 1, 0)
    main = (lang == "es") | (lang == "en")
    on_topic = main & (rng.random(n) >= IRRELEVANT_SHARE)
    subject_i = rng.choice(len(V.SUBJECTS), size=n, p=V.SUBJECT_SHARES)
    sentiment_i = rng.choice(len(V.SENTIMENTS), size=n, p=V.SENTIMENT_SHARES)
    text = np.empty(n, dtype=object)
    subject = np.full(n, None, dtype=object)
    sentiment = np.full(n, None, dtype=object)

    rows = np.flatnonzero(on_topic)
    if rows.size:
        gid = (li[rows] * len(V.SUBJECTS) + subject_i[rows]) * len(V.SENTIMENTS) + sentiment_i[rows]
        core = render_grouped(gid, comp["cores"], pick, comp["vocabs"])
        second = rng.random(rows.size) < 0.3
        core2 = render_grouped(gid, comp["cores"], pick, comp["vocabs"])
        second &= core2 != core
        core = _with(core, second, core2)
        m = rows.size
        prefix = np.empty(m, dtype=object)
        closer = np.empty(m, dtype=object)
        tags = np.empty(m, dtype=object)
        emoji = np.empty(m, dtype=object)
        for lj, lg in enumerate(LANGS):
            sel = np.flatnonzero(li[rows] == lj)
            if not sel.size:
                continue
            options = _obj(V.PREFIXES[lg])
            prefix[sel] = options[rng.integers(0, len(options), size=sel.size)]
            for tj, sname in enumerate(V.SENTIMENTS):
                s2 = sel[sentiment_i[rows][sel] == tj]
                options = _obj(V.CLOSERS[lg][sname])
                closer[s2] = options[rng.integers(0, len(options), size=s2.size)]
            for sj, subj in enumerate(V.SUBJECTS):
                s2 = sel[subject_i[rows][sel] == sj]
                options = _obj(V.HASHTAGS[lg][subj])
                tags[s2] = options[rng.integers(0, len(options), size=s2.size)]
        for tj, sname in enumerate(V.SENTIMENTS):
            s2 = np.flatnonzero(sentiment_i[rows] == tj)
            options = _obj(V.EMOJI[sname])
            emoji[s2] = options[rng.integers(0, len(options), size=s2.size)]
        body = prefix + core
        body = _with(body, rng.random(m) < 0.45, closer)
        body = _with(body, rng.random(m) < 0.35, tags)
        brand = _obj(V.BRAND_HASHTAGS)[rng.integers(0, len(V.BRAND_HASHTAGS), size=m)]
        body = _with(body, rng.random(m) < 0.15, brand)
        body = _with(body, rng.random(m) < 0.30, emoji)
        text[rows] = body
        subject[rows] = _obj(V.SUBJECTS)[subject_i[rows]]
        sentiment[rows] = _obj(V.SENTIMENTS)[sentiment_i[rows]]

    rows = np.flatnonzero(main & ~on_topic)
    if rows.size:
        text[rows] = render_grouped(li[rows], comp["off_topic"], pick, comp["off_vocab"])

    rows = np.flatnonzero(lang == "pt")
    if rows.size:
        g = rng.integers(0, len(comp["pt_meta"]), size=rows.size)
        text[rows] = render_grouped(g, comp["pt_sets"], pick, comp["pt_vocab"])
        meta = comp["pt_meta"]
        subject[rows] = _obj([meta[k][0] for k in g.tolist()])
        sentiment[rows] = _obj([meta[k][1] for k in g.tolist()])

    rows = np.flatnonzero(lang == "und")
    if rows.size:
        options = _obj(V.UNDETERMINED)
        text[rows] = options[rng.integers(0, len(options), size=rows.size)]

    is_disc = np.full(n, None, dtype=object)
    disc_category = np.full(n, None, dtype=object)
    if disc_rng is not None:
        _plant_discrimination(disc_rng, text, lang, on_topic, is_disc, disc_category)

    link = rng.random(n) < 0.10
    if link.any():
        codes = _obj(_encode(rng.integers(0, 2**63 - 1, size=int(link.sum()), dtype=np.int64), 10, _ALNUM62))
        text[link] = text[link] + " https://t.co/" + codes

    # every on-topic tweet mentions a keyword as a whole word (append one when the template had none)
    pattern = keyword_regex(keywords)
    relevant = np.array([pattern.search(t) is not None for t in text.tolist()], dtype=bool)
    fix = np.flatnonzero(on_topic & ~relevant)
    draws = rng.integers(0, 1 << 30, size=fix.size).tolist()
    for i, r in zip(fix.tolist(), draws):
        options = V.KEYWORD_HASHTAGS[lang[i]][subject[i]]
        text[i] = text[i] + " " + options[r % len(options)]
    relevant[fix] = True
    needs_support = on_topic & (sentiment_i != 0)
    return {"text": text, "lang": lang, "subject": subject, "sentiment": sentiment, "is_relevant": relevant,
            "needs_support": needs_support, "on_topic": on_topic, "is_discriminatory": is_disc,
            "discrimination_category": disc_category}


def _plant_discrimination(rng, text, lang, on_topic, is_disc, disc_category) -> None:
    """Append a discriminatory (category planted) or respectful sentence to a share of the on-topic Spanish
    tweets, in place; every Spanish tweet gets ``is_discriminatory`` True or False."""
    spanish = np.flatnonzero(lang == "es")
    is_disc[spanish] = False
    rows = np.flatnonzero((lang == "es") & on_topic)
    if not rows.size:
        return
    u = rng.random(rows.size)
    kind = np.where(u < DV.DISCRIMINATORY_SHARE, 1, np.where(u < DV.DISCRIMINATORY_SHARE + DV.RESPECTFUL_SHARE, 0, -1))
    cat = rng.integers(0, len(DV.CATEGORIES), size=rows.size)
    chosen = kind >= 0
    if not chosen.any():
        return
    groups = (cat[chosen] * 2 + kind[chosen]).astype(np.int64)
    sets = {c * 2 + k: DV.templates(name, bool(k)) for c, name in enumerate(DV.CATEGORIES) for k in (0, 1)}
    vocabs = {c * 2 + k: as_vocab(DV.vocab(name)) for c, name in enumerate(DV.CATEGORIES) for k in (0, 1)}
    sentence = render_grouped(groups, sets, RngPicker(rng), vocabs)
    sentence = _obj([s[:1].upper() + s[1:] for s in sentence.tolist()])
    target = rows[chosen]
    text[target] = text[target] + " " + sentence
    disc = target[kind[chosen] == 1]
    is_disc[disc] = True
    disc_category[disc] = _obj(DV.CATEGORIES)[cat[chosen][kind[chosen] == 1]]


def tweet_texts(n: int, seed: int = 0, keywords: tuple[str, ...] = V.KEYWORDS) -> list[str]:
    """``n`` tweet texts (no malformed ones), e.g. for text-processing benchmarks."""
    return tweet_text_arrays(chunk_rng(seed, SOURCE, "texts"), n, keywords)["text"].tolist()


# --------------------------------------------------------------------------- one chunk
def _json_line(id_, text, created, author, lang, rt, rp, lk, qt) -> str:
    return (f'{{"id":"{id_}","text":{_encode_json_string(text)},"created_at":"{created}","author_id":"{author}",'
            f'"lang":"{lang}","public_metrics":{{"retweet_count":{rt},"reply_count":{rp},"like_count":{lk},'
            f'"quote_count":{qt}}}}}')


def _bad_date(rng: np.random.Generator, created: str) -> tuple[str, str]:
    y, rest = created[:4], created[10:]
    options = [(f"{y}-02-30{rest}", "impossible_day"), ("yesterday", "word"), ("", "empty"),
               (f"{y}-13-45T99:61:00.000Z", "impossible_fields"), ("not a date", "words")]
    return options[int(rng.integers(0, len(options)))]


def make_chunk(task: Task, params: Params) -> ChunkOutput:
    rng = chunk_rng(params.seed, SOURCE, task.index)
    n = task.n
    start_hour = epoch_seconds(params.start) // 3600
    piece_sizes = np.array([p[1] for p in task.pieces], dtype=np.int64)
    piece_of = np.repeat(np.arange(len(task.pieces)), piece_sizes)
    hour = np.repeat(np.array([p[0] for p in task.pieces], dtype=np.int64), piece_sizes)
    second = rng.integers(0, 3600, size=n)
    order = np.lexsort((second, piece_of))
    second = second[order]
    epoch = (start_hour + hour) * 3600 + second
    created = np.char.add(iso_seconds(epoch), ".000Z").astype(object)

    texts = tweet_text_arrays(rng, n, params.keywords, chunk_rng(params.seed, SOURCE, "discrimination", task.index))
    text, lang = texts["text"], texts["lang"]
    gidx = np.arange(task.offset, task.offset + n, dtype=np.int64)
    snowflake = ((epoch * 1000 - TWITTER_EPOCH_MS) << 22) | (gidx & 0x3FFFFF)
    snowflake = np.where(snowflake < 10**18, snowflake + 10**18, snowflake)  # always 19 digits
    ids = snowflake.astype(str).astype(object)
    author_index = heavy_tailed_index(rng, task.authors, n, power=2.5)
    author = (mix64(author_index.astype(np.uint64) ^ seed_key(params.seed, SOURCE, "author"))
              % np.uint64(9 * 10**17) + np.uint64(10**17)).astype(str).astype(object)
    likes = np.maximum(np.floor(np.exp(rng.normal(0.2, 1.5, size=n))).astype(np.int64) - 1, 0)
    retweets = rng.binomial(likes, 0.2)
    replies = rng.poisson(np.where(texts["needs_support"], 1.2, 0.3))
    quotes = rng.binomial(retweets, 0.1)

    defects = plan_defects(rng, n, MALFORMED_KINDS, params.malformed_fraction, params.duplicate_fraction)
    # a copy is delivered with its original's hour: in the original's file or in a second file of that hour
    dup_rows = np.flatnonzero(defects.is_duplicate)
    piece_of[dup_rows] = piece_of[defects.dup_of[dup_rows]]
    delivered = epoch.copy()
    delivered[dup_rows] = epoch[defects.dup_of[dup_rows]]
    detail = np.full(n, None, dtype=object)
    truncate: dict[int, int] = {}
    no_text_key: set[int] = set()
    for i in np.flatnonzero(defects.malformed != None).tolist():  # noqa: E711 - few rows
        kind = defects.malformed[i]
        if kind == "broken_json":
            truncate[i] = int(rng.integers(0, 1 << 30))
            detail[i] = "truncated_line"
        elif kind == "bad_date":
            created[i], detail[i] = _bad_date(rng, created[i])
        elif kind == "missing_text":
            if rng.random() < 0.5:
                no_text_key.add(i)
                detail[i] = "no_text_key"
            else:
                text[i] = ""
                detail[i] = "empty_text"
        elif kind == "invalid_utf8":
            text[i] = insert_at_word([text[i]], rng, INVALID_UTF8)[0]
            detail[i] = "bytes_ff_fe"
        elif kind == "over_long":
            text[i] = make_over_long(text[i], OVER_LONG_CHARS)
            detail[i] = f"{len(text[i])}_chars"

    lines = [
        _json_line(*row)
        for row in zip(ids.tolist(), text.tolist(), created.tolist(), author.tolist(), lang.tolist(),
                       retweets.tolist(), replies.tolist(), likes.tolist(), quotes.tolist())
    ]
    for i in no_text_key:
        obj = json.loads(lines[i])
        del obj["text"]
        lines[i] = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for i, r in truncate.items():
        lines[i] = lines[i][: 10 + r % (len(lines[i]) - 11)]  # a proper prefix: never valid JSON
    for i in np.flatnonzero(defects.is_duplicate).tolist():
        lines[i] = lines[defects.dup_of[i]]

    # files: one per piece, plus a redelivery file when some of the piece's duplicates went to a second file
    redeliver = defects.is_duplicate & (rng.random(n) < 0.5)
    files: list[tuple[str, bytes]] = []
    file_of = np.empty(n, dtype=object)
    by_piece = np.argsort(piece_of, kind="stable")
    bounds = np.searchsorted(piece_of[by_piece], np.arange(len(task.pieces) + 1))
    for p in range(len(task.pieces)):
        rows = by_piece[bounds[p] : bounds[p + 1]]
        if rows.size == 0:
            continue
        hour_end = int((start_hour + task.pieces[p][0]) * 3600 + 3599)
        for part_rows, later in ((rows[~redeliver[rows]], False), (rows[redeliver[rows]], True)):
            if part_rows.size == 0:
                continue
            t = int(delivered[rows].max()) + int(rng.integers(1, 300)) if later else int(delivered[part_rows].min())
            t = min(t, hour_end)
            stamp = dt.datetime.fromtimestamp(t, dt.timezone.utc)
            rel = (f"{SOURCE}/{stamp:%Y/%m/%d/%H}/{STREAM}-{STREAM_VERSION}-{stamp:%Y-%m-%d-%H-%M-%S}-"
                   f"{uuid_from(rng)}")
            data = encode("\n".join(lines[i] for i in part_rows.tolist()) + "\n")
            files.append((rel, data))
            file_of[part_rows] = rel

    src = np.where(defects.is_duplicate, defects.dup_of, np.arange(n))
    truth = truth_parquet(
        {
            "source": SOURCE,
            "doc_id": ids[src],
            "user_id": author[src],
            "created_at": timestamps_us(epoch[src]),
            "lang": lang[src],
            "subject": texts["subject"][src],
            "sentiment": texts["sentiment"][src],
            "needs_support": texts["needs_support"][src],
            "is_discriminatory": texts["is_discriminatory"][src],
            "discrimination_category": texts["discrimination_category"][src],
            "is_relevant": texts["is_relevant"][src],
            "malformed": defects.malformed,
            "malformed_detail": detail,
            "is_duplicate": defects.is_duplicate,
            "file": file_of,
        },
        n,
    )
    counts = base_counts(defects)
    well_formed = (defects.malformed == None) & ~defects.is_duplicate  # noqa: E711
    in_lang = (lang == "es") | (lang == "en")
    counts.update(
        {
            "wrong_language": int((well_formed & ~in_lang).sum()),
            "irrelevant": int((well_formed & in_lang & ~texts["is_relevant"]).sum()),
            "expected_kept": int((well_formed & in_lang & texts["is_relevant"]).sum()),
            "physical_lines": sum(d.count(b"\n") for _, d in files),
            "header_lines": 0,
        }
    )
    return ChunkOutput(SOURCE, task.index, files=files, truth=truth, counts=counts)
