"""Generate the demo raw files and their truth side files.

``generate()`` plans each source as a list of chunks (the plan depends only on the counts, the seed and the
span), makes the chunks, in this process or in worker processes, and writes their bytes strictly in chunk order.
Output bytes therefore depend on the arguments only, never on the number of workers; memory stays bounded by a
few chunks in flight whatever the number of rows.

Layout under ``out_dir`` (the raw folder) and ``truth_dir``::

    amazon_reviews/amazon_reviews_us_<Category>_v1_00[.part-NNNNN].tsv
    tweets/YYYY/MM/DD/HH/voc-tweets-1-YYYY-MM-DD-HH-MM-SS-<uuid>
    instagram/comments_YYYY-MM.csv
    <truth>/<source>/part-NNNNN.parquet        one row per raw record written (duplicates and malformed marked)
    <truth>/summary.json                       counts per source
"""
from __future__ import annotations

import collections
import json
import logging
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Sequence

from vocspark.demo import instagram, reviews, tweets
from vocspark.demo.common import DEFAULT_CHUNK_SIZE, SOURCES, ChunkOutput, Params, parse_start_date
from vocspark.demo.vocab_tweets import KEYWORDS

log = logging.getLogger(__name__)

MODULES = {"amazon_reviews": reviews, "tweets": tweets, "instagram": instagram}


def _make_chunk(job: tuple[str, Any, Params]) -> ChunkOutput:
    source, task, params = job
    return MODULES[source].make_chunk(task, params)


def _jobs(counts: dict[str, int], params: Params) -> list[tuple[str, Any, Params]]:
    jobs = []
    for source in SOURCES:
        for task in MODULES[source].plan(counts[source], params):
            jobs.append((source, task, params))
    return jobs


def _mp_context():
    """``fork`` where available: workers start at once and never re-import ``__main__`` (a script without an
    ``if __name__ == "__main__"`` guard would otherwise start generating again in every worker). The workers only
    run numpy and Python code of this package, never the parent's Spark/py4j objects."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _results(jobs: Sequence[tuple[str, Any, Params]], workers: int) -> Iterable[ChunkOutput]:
    """Chunk outputs in job order; with workers > 1 at most 2 * workers chunks are in flight (bounded memory)."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _make_chunk(job)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as pool:
        pending: collections.deque = collections.deque()
        it = iter(jobs)
        for job in it:
            pending.append(pool.submit(_make_chunk, job))
            if len(pending) >= 2 * workers:
                break
        while pending:
            result = pending.popleft().result()  # a dead worker raises BrokenProcessPool instead of hanging
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(_make_chunk, nxt))
            yield result


def _clear(out_dir: Path, truth_dir: Path) -> None:
    for source in SOURCES:
        for path in (out_dir / source, truth_dir / source):
            if path.is_dir():
                shutil.rmtree(path)
        single = truth_dir / f"{source}.parquet"
        if single.exists():
            single.unlink()
    summary = truth_dir / "summary.json"
    if summary.exists():
        summary.unlink()


def _add_counts(total: dict[str, Any], counts: dict[str, Any]) -> None:
    for key, value in counts.items():
        if isinstance(value, dict):
            sub = total.setdefault(key, {})
            for k, v in value.items():
                sub[k] = sub.get(k, 0) + v
        else:
            total[key] = total.get(key, 0) + value


def generate(
    out_dir: str | os.PathLike,
    truth_dir: str | os.PathLike | None = None,
    *,
    reviews: int = 20000,
    tweets: int = 10000,
    comments: int = 10000,
    seed: int = 42,
    malformed_fraction: float = 0.01,
    duplicate_fraction: float = 0.01,
    start_date: str = "2021-01-01",
    months: int = 6,
    keywords: Sequence[str] | None = None,
    workers: int | None = 1,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> dict[str, Any]:
    """Write the three raw sources under ``out_dir`` and the truth under ``truth_dir`` (default:
    ``out_dir/../truth``); return the summary (what ``summary.json`` holds, plus ``seconds`` and ``rows_per_minute``).

    ``reviews``, ``tweets`` and ``comments`` count raw records written, duplicate copies included. The folders of
    the three sources (raw and truth) are deleted first, so a rerun with the same arguments writes identical bytes.
    ``workers`` > 1 makes chunks in that many processes (``None``: one per CPU); the bytes do not change.
    """
    counts = {"amazon_reviews": int(reviews), "tweets": int(tweets), "instagram": int(comments)}
    for name, value in counts.items():
        if value < 0:
            raise ValueError(f"number of {name} records must be >= 0, got {value}")
    for name, value in (("malformed_fraction", malformed_fraction), ("duplicate_fraction", duplicate_fraction)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must be between 0 and 1, got {value}")
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    out_dir = Path(out_dir)
    truth_dir = Path(truth_dir) if truth_dir is not None else out_dir.parent / "truth"
    workers = (os.cpu_count() or 1) if workers is None else max(1, int(workers))
    params = Params(
        seed=int(seed),
        start=parse_start_date(start_date),
        months=int(months),
        malformed_fraction=float(malformed_fraction),
        duplicate_fraction=float(duplicate_fraction),
        keywords=tuple(keywords) if keywords else KEYWORDS,
        chunk_size=int(chunk_size),
    )

    t0 = time.monotonic()
    _clear(out_dir, truth_dir)
    for source in SOURCES:
        (out_dir / source).mkdir(parents=True, exist_ok=True)
        (truth_dir / source).mkdir(parents=True, exist_ok=True)
    jobs = _jobs(counts, params)
    log.info("demo data: %s records in %d chunks, %d worker(s) -> %s", counts, len(jobs), workers, out_dir)

    per_source: dict[str, dict[str, Any]] = {s: {} for s in SOURCES}
    files: dict[str, set[str]] = {s: set() for s in SOURCES}
    written_bytes = {s: 0 for s in SOURCES}
    for out in _results(jobs, workers):
        for rel, data in out.files:
            path = out_dir / rel
            if rel not in files[out.source]:
                path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as fh:
                fh.write(data)
            files[out.source].add(rel)
            written_bytes[out.source] += len(data)
        if out.truth is not None:
            (truth_dir / out.source / f"part-{out.index:05d}.parquet").write_bytes(out.truth)
        _add_counts(per_source[out.source], out.counts)

    summary: dict[str, Any] = {
        "params": {
            "reviews": counts["amazon_reviews"], "tweets": counts["tweets"], "comments": counts["instagram"],
            "seed": params.seed, "start_date": params.start.strftime("%Y-%m-%d"), "months": params.months,
            "malformed_fraction": params.malformed_fraction, "duplicate_fraction": params.duplicate_fraction,
            "keywords": list(params.keywords), "chunk_size": params.chunk_size,
        },
        "sources": {},
    }
    for source in SOURCES:
        c = per_source[source]
        malformed = dict(sorted(c.get("malformed", {}).items()))
        summary["sources"][source] = {
            "records": c.get("records", 0),
            "distinct_records": c.get("records", 0) - c.get("duplicates", 0),
            "duplicates": c.get("duplicates", 0),
            "malformed": malformed,
            "malformed_total": sum(malformed.values()),
            "wrong_marketplace": c.get("wrong_marketplace", 0),
            "wrong_language": c.get("wrong_language", 0),
            "irrelevant": c.get("irrelevant", 0),
            "expected_kept": c.get("expected_kept", 0),
            "physical_lines": c.get("physical_lines", 0),
            "header_lines": c.get("header_lines", 0),
            "files": len(files[source]),
            "bytes": written_bytes[source],
            "raw_path": source,
            "truth_path": source,
        }
    (truth_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
    seconds = time.monotonic() - t0
    total = sum(counts.values())
    log.info("demo data: %d records in %.1f s (%.0f rows/min)", total, seconds, total / seconds * 60 if seconds else 0)
    rate = round(total / seconds * 60) if seconds else None
    return {**summary, "seconds": round(seconds, 3), "rows_per_minute": rate}
