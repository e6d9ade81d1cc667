"""Print where a run's outputs and manifests are, with the latest manifest counts per job (used by `make demo`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from vocspark import args as args_mod
from vocspark.config import local_path

DATASETS = (
    "raw", "truth", "documents", "rejected", "documents_clean", "sentences", "models", "predictions/topics",
    "reports", "user_subjects", "user_subjects_history",
    "analytics/tables", "analytics/csv", "analytics/sample", "analytics/graph", "analytics/report",
)
PARTITION_GLOBS = ("*/month=*", "month=*", "as_of=*")


def summarize(cfg) -> str:
    base = local_path(cfg.base_uri)
    if base is None:
        return f"outputs under {cfg.base_uri} (remote: list them with `aws s3 ls`)"
    lines = [f"VoC Spark outputs under {base}"]
    for name in DATASETS:
        folder = base / name
        if folder.exists():
            parts = sorted({p.relative_to(folder).as_posix() for g in PARTITION_GLOBS for p in folder.glob(g)})
            shown = ", ".join(parts[:6]) + (f", ... ({len(parts)} partitions)" if len(parts) > 6 else "")
            lines.append(f"  {name:<16} {folder}" + (f"  [{shown}]" if parts else ""))
    manifests = base / "manifests"
    for job_dir in sorted(manifests.glob("*")) if manifests.exists() else []:
        latest = max(job_dir.glob("*.json"), key=lambda p: p.stat().st_mtime, default=None)
        if latest is None:
            continue
        body = json.loads(latest.read_text())
        counts = body.get("counts", {})
        lines.append(
            f"  manifest {job_dir.name:<18} {latest}\n"
            f"    read={counts.get('read')} written={counts.get('written')} "
            f"rejected={counts.get('rejected')} filtered={counts.get('filtered')} reconciled={body.get('reconciled')}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = args_mod.base_parser("summary", __doc__)
    _, cfg = args_mod.parse(parser, argv)
    print(summarize(cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
