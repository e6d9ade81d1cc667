"""spark-submit.sh runs a job the way EMR and Glue do: the package shipped as a zip, the jars with --jars."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_spark_submit_runs_ingest_from_the_zip(tmp_base, write_raw_fixture):
    write_raw_fixture(tmp_base)
    env = dict(os.environ, SPARK_MASTER="local[1]", VENV=str(Path(sys.executable).parents[1].relative_to(ROOT)))
    # Run from another folder with PYTHONPATH cleared: the job must import vocspark from the shipped zip.
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        ["bash", str(ROOT / "spark-submit.sh"), "ingest", "--config", str(ROOT / "conf" / "local.yaml"),
         "--set", f"base_uri={tmp_base}", "--run-id", "submit1"],
        cwd="/", env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((tmp_base / "manifests" / "ingest" / "submit1.json").read_text())
    assert manifest["counts"]["read"] == 18 and manifest["counts"]["written"] == 10
    assert (ROOT / "dist" / f"vocspark-{(ROOT / 'lib' / 'vocspark' / 'VERSION').read_text().strip()}.zip").exists()


def test_spark_submit_usage_and_unknown_job():
    usage = subprocess.run(["bash", str(ROOT / "spark-submit.sh")], capture_output=True, text=True)
    assert usage.returncode == 2 and "ingest" in usage.stdout
    unknown = subprocess.run(["bash", str(ROOT / "spark-submit.sh"), "nope"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "no job script jobs/nope.py" in unknown.stderr
