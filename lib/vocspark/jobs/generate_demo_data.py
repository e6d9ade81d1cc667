"""generate_demo_data: deterministic demo raw files (Amazon-style reviews TSV, Firehose tweets JSON lines,
Instagram-style comments CSV) plus the truth side file the later jobs are scored against.

Defaults come from the ``demo:`` section of the config; raw files go to ``--out`` (default ``<base>/raw``, whose
``amazon_reviews/``, ``tweets/`` and ``instagram/`` folders are the default ``sources.*.path``), the truth to
``--truth`` (default ``<base>/truth``). The three source folders are replaced on every run, so a rerun with the
same arguments writes byte-identical files whatever ``--workers`` is. Local paths only for now: generate locally
and copy to S3 (``aws s3 sync``) until the upload lands.

The generator itself is plain Python and numpy (:func:`vocspark.demo.generate`); the Spark session is only used
to write the run manifest (``run(None, ...)`` generates without one).
"""
from __future__ import annotations

import argparse
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vocspark import runtime
from vocspark.config import Config, Settings, local_path, to_uri
from vocspark.demo import generate
from vocspark.demo.generator import SOURCES
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "generate_demo_data"


@dataclass(frozen=True)
class Options(runtime.Options):
    """The command line; every None takes its value from the config's ``demo:`` section (``out``/``truth``:
    ``<base>/raw`` and ``<base>/truth``; ``workers``: one per CPU)."""

    reviews: int | None = None
    tweets: int | None = None
    comments: int | None = None
    seed: int | None = None
    malformed_fraction: float | None = None
    duplicate_fraction: float | None = None
    start_date: str | None = None
    months: int | None = None
    out: str | None = None
    truth: str | None = None
    workers: int | None = None


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reviews", type=_non_negative, default=None, help="review records (default: demo.reviews)")
    parser.add_argument("--tweets", type=_non_negative, default=None, help="tweet records (default: demo.tweets)")
    parser.add_argument("--comments", type=_non_negative, default=None,
                        help="Instagram comment records (default: demo.comments)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: demo.seed)")
    parser.add_argument("--malformed-fraction", type=_fraction, default=None,
                        help="share of malformed records per source (default: demo.malformed_fraction)")
    parser.add_argument("--duplicate-fraction", type=_fraction, default=None,
                        help="share of exact duplicate records per source (default: demo.duplicate_fraction)")
    parser.add_argument("--start-date", default=None, help="first day, yyyy-MM-dd (default: demo.start_date)")
    parser.add_argument("--months", type=int, default=None, help="months covered (default: demo.months)")
    parser.add_argument("--out", default=None, help="raw folder URI (default: <base_uri>/raw)")
    parser.add_argument("--truth", default=None, help="truth folder URI (default: <base_uri>/truth)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per CPU); output bytes do not depend on it")


def local_dir(uri: str, option: str) -> Path:
    """The local folder of a ``file://`` URI or plain path; a clear error for remote URIs."""
    path = local_path(to_uri(uri))
    if path is None:
        raise ValueError(
            f"{option} {uri}: the demo generator writes to the local filesystem only (file:// URIs or paths); "
            "generate locally and copy to S3, e.g. `aws s3 sync data/raw s3://bucket/prefix/raw`"
        )
    return path


def tweet_keywords(settings: Settings) -> list[str] | None:
    for src in settings.sources.values():
        if src.kind == "twitter_firehose_json" and src.keywords:
            return list(src.keywords)
    return None


def _warn_on_source_paths(settings: Settings, out_uri: str) -> None:
    """The ingest reads ``sources.<name>.path``; say so when it is not where this run writes."""
    for name in SOURCES:
        src = settings.sources.get(name)
        expected = f"{to_uri(out_uri).rstrip('/')}/{name}"
        if src is not None and src.path.rstrip("/") != expected:
            log.warning("%s: writing %s but config `sources.%s.path` is %s", JOB, expected, name, src.path)


def generate_kwargs(settings: Settings, options: Options) -> dict[str, Any]:
    """Keyword arguments of :func:`vocspark.demo.generate` from the options, defaulting to config ``demo:``."""
    demo, o = settings.demo, options

    def pick(value, default):
        return default if value is None else value

    return {
        "reviews": pick(o.reviews, demo.reviews),
        "tweets": pick(o.tweets, demo.tweets),
        "comments": pick(o.comments, demo.comments),
        "seed": pick(o.seed, demo.seed),
        "malformed_fraction": pick(o.malformed_fraction, demo.malformed_fraction),
        "duplicate_fraction": pick(o.duplicate_fraction, demo.duplicate_fraction),
        "start_date": pick(o.start_date, demo.start_date),
        "months": pick(o.months, demo.months),
        "keywords": tweet_keywords(settings),
        "workers": o.workers or (os.cpu_count() or 1),
    }


def run(spark, cfg: Config, args: argparse.Namespace | Options) -> dict[str, Any]:
    options = runtime.options_from(args, Options)
    settings = cfg.typed
    out_uri = options.out or cfg.uri("raw")
    truth_uri = options.truth or cfg.uri("truth")
    out_dir, truth_dir = local_dir(out_uri, "--out"), local_dir(truth_uri, "--truth")
    _warn_on_source_paths(settings, out_uri)
    kwargs = generate_kwargs(settings, options)
    if spark is None:  # no manifest without a session
        return _generate(out_dir, truth_dir, kwargs)
    with JobRun(spark, cfg, JOB, options) as run:
        manifest = run.manifest
        manifest.args.update({k: v for k, v in kwargs.items() if k != "keywords"})  # the values used
        manifest.outputs.update(raw=out_dir.as_uri(), truth=truth_dir.as_uri())
        with run.step("generate") as step:
            summary = _generate(out_dir, truth_dir, kwargs)
            step.rows = sum(c["records"] for c in summary["sources"].values())
        manifest.read = manifest.written = step.rows
        manifest.extra["summary"] = summary
    return summary


def _generate(out_dir: Path, truth_dir: Path, kwargs: dict[str, Any]) -> dict[str, Any]:
    summary = generate(out_dir, truth_dir, **kwargs)
    for source, counts in summary["sources"].items():
        log.info("%s: %s %d records (%d duplicates, %d malformed) in %d files", JOB, source, counts["records"],
                 counts["duplicates"], counts["malformed_total"], counts["files"])
    return summary
