"""Throughput of the demo generator: wall-clock rows per minute for a given total, split 50/25/25 between reviews,
tweets and comments, written to a temporary folder (deleted afterwards unless ``--keep``).

    python -m vocspark.demo.bench --rows 1000000 --workers 2

Prints one JSON line: rows, workers, seconds, rows_per_minute, rows_per_minute_per_worker, MB written.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from vocspark.demo.generator import generate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dir", default=None, help="output folder (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="vocspark-demo-bench-"))
    counts = {"reviews": args.rows // 2, "tweets": args.rows // 4}
    counts["comments"] = args.rows - counts["reviews"] - counts["tweets"]
    t0 = time.monotonic()
    summary = generate(base / "raw", base / "truth", seed=args.seed, workers=args.workers, **counts)
    seconds = time.monotonic() - t0
    size = sum(s["bytes"] for s in summary["sources"].values())
    print(json.dumps({
        "rows": args.rows, **counts, "workers": args.workers, "seconds": round(seconds, 2),
        "rows_per_minute": round(args.rows / seconds * 60),
        "rows_per_minute_per_worker": round(args.rows / seconds * 60 / args.workers),
        "raw_mb": round(size / 1e6, 1),
    }))
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
