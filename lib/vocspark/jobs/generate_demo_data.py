"""generate_demo_data: deterministic demo raw files (Amazon-style reviews TSV, Firehose tweets JSON lines,
Instagram-style comments CSV) plus the truth side file the later jobs are scored against.

Defaults come from the ``demo:`` section of the config; raw files go to ``--out`` (default ``<base>/raw``, whose
``amazon_reviews/``, ``tweets/`` and ``instagram/`` folders are the default ``sources.*.path``), the truth to
``--truth`` (default ``<base>/truth``). The three source folders are replaced on every run, so a rerun with the
same arguments writes byte-identical files whatever ``--workers`` is. Local paths only for now: generate locally
and copy to S3 (``aws s3 sync``) until the upload lands.

The generator itself is plain Python and numpy (:func:`vocspark.demo.generate`); the Spark session is only used
to write the run manifest.
"""
from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from vocspark import io
from vocspark.config import Config, local_path, to_uri
from vocspark.demo import generate
from vocspark.demo.generator import SOURCES

log = logging.getLogger(__name__)
JOB = "generate_demo_data"


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


def tweet_keywords(cfg: Config) -> list[str] | None:
    for src in cfg["sources"].values():
        if src["kind"] == "twitter_firehose_json" and src.get("keywords"):
            return list(src["keywords"])
    return None


def _warn_on_source_paths(cfg: Config, out_uri: str) -> None:
    """The ingest reads ``sources.<name>.path``; say so when it is not where this run writes."""
    for name in SOURCES:
        src = cfg["sources"].get(name)
        expected = f"{to_uri(out_uri).rstrip('/')}/{name}"
        if src is not None and src["path"].rstrip("/") != expected:
            log.warning("%s: writing %s but config `sources.%s.path` is %s", JOB, expected, name, src["path"])


def options(cfg: Config, args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`vocspark.demo.generate` from the arguments, defaulting to config ``demo:``."""
    demo = cfg["demo"]

    def pick(attr: str, key: str):
        value = getattr(args, attr, None)
        return demo[key] if value is None else value

    return {
        "reviews": pick("reviews", "reviews"),
        "tweets": pick("tweets", "tweets"),
        "comments": pick("comments", "comments"),
        "seed": pick("seed", "seed"),
        "malformed_fraction": pick("malformed_fraction", "malformed_fraction"),
        "duplicate_fraction": pick("duplicate_fraction", "duplicate_fraction"),
        "start_date": pick("start_date", "start_date"),
        "months": pick("months", "months"),
        "keywords": tweet_keywords(cfg),
        "workers": getattr(args, "workers", None) or (os.cpu_count() or 1),
    }


def run(spark, cfg: Config, args: argparse.Namespace) -> dict[str, Any]:
    out_uri = getattr(args, "out", None) or cfg.uri("raw")
    truth_uri = getattr(args, "truth", None) or cfg.uri("truth")
    out_dir, truth_dir = local_dir(out_uri, "--out"), local_dir(truth_uri, "--truth")
    _warn_on_source_paths(cfg, out_uri)
    kwargs = options(cfg, args)
    summary = generate(out_dir, truth_dir, **kwargs)
    for source, counts in summary["sources"].items():
        log.info("%s: %s %d records (%d duplicates, %d malformed) in %d files", JOB, source, counts["records"],
                 counts["duplicates"], counts["malformed_total"], counts["files"])
    if spark is not None:
        total = sum(c["records"] for c in summary["sources"].values())
        manifest = io.Manifest(
            JOB,
            getattr(args, "run_id", None) or io.new_run_id(),
            args={k: v for k, v in kwargs.items() if k != "keywords"},
            outputs={"raw": out_dir.as_uri(), "truth": truth_dir.as_uri()},
            read=total,
            written=total,
            extra={"summary": summary},
        )
        manifest.close(spark, cfg.base_uri)
    return summary
