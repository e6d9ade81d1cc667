"""JobRun: manifest written and reconciled on success, a failed run still leaves a manifest; typed options."""
from __future__ import annotations

import argparse
import json
from dataclasses import FrozenInstanceError, dataclass

import pytest

from vocspark import io
from vocspark.config import Config
from vocspark.runtime import JobRun, Options, options_from


@dataclass(frozen=True)
class _Opts(Options):
    model: str | None = None
    months: str | None = None
    top_k: int = 3


def _cfg(base) -> Config:
    return Config({"base_uri": base.as_uri()})


def _manifest(base, job, run_id) -> dict:
    return json.loads((base / "manifests" / job / f"{run_id}.json").read_text())


def test_options_from_a_namespace_takes_declared_fields_and_defaults():
    ns = argparse.Namespace(model="m", run_id="r1", JOB_NAME="glue", config="c.yaml", overrides=[], other=1)
    opts = options_from(ns, _Opts)
    assert opts == _Opts(run_id="r1", model="m", months=None, top_k=3)
    assert options_from(opts, _Opts) is opts
    assert options_from({"top_k": 5}, _Opts).top_k == 5
    with pytest.raises(FrozenInstanceError):
        opts.model = "x"


def test_a_successful_run_writes_a_reconciled_manifest_with_steps(spark, tmp_path):
    cfg = _cfg(tmp_path)
    with JobRun(spark, cfg, "demo_job", _Opts(run_id="r1", model="m")) as run:
        with run.step("count") as step:
            step.rows = spark.range(5).count()
        run.manifest.read, run.manifest.written, run.manifest.filtered = 5, 4, {"short": 1}
    body = _manifest(tmp_path, "demo_job", "r1")
    assert body["reconciled"] is True and body["counts"]["read"] == 5
    assert body["args"]["model"] == "m"
    assert [(s["name"], s["rows"]) for s in body["extra"]["steps"]] == [("count", 5)]
    assert body["extra"]["steps"][0]["seconds"] >= 0


def test_counts_that_do_not_reconcile_fail_after_the_manifest_is_written(spark, tmp_path):
    with pytest.raises(io.ReconciliationError, match="does not reconcile"):
        with JobRun(spark, _cfg(tmp_path), "demo_job", _Opts(run_id="r2")) as run:
            run.manifest.read, run.manifest.written = 3, 2
    assert _manifest(tmp_path, "demo_job", "r2")["reconciled"] is False


def test_a_failed_run_leaves_a_manifest_marked_failed_and_the_error_goes_on(spark, tmp_path):
    with pytest.raises(ZeroDivisionError):
        with JobRun(spark, _cfg(tmp_path), "demo_job", _Opts(run_id="r3")) as run:
            run.manifest.read = 7
            1 / 0
    body = _manifest(tmp_path, "demo_job", "r3")
    assert body["extra"]["status"] == "failed"
    assert body["extra"]["error"].startswith("ZeroDivisionError")


def test_missing_inputs_fail_before_anything_is_written_naming_the_key(spark, tmp_path):
    missing = (tmp_path / "nope").as_uri()
    with pytest.raises(io.MissingInputError, match="input `sentences` does not exist"):
        with JobRun(spark, _cfg(tmp_path), "demo_job", _Opts(run_id="r4"), inputs={"sentences": missing}):
            pass
    assert not (tmp_path / "manifests").exists()


def test_run_ids_default_to_unique_values(spark, tmp_path):
    a = JobRun(spark, _cfg(tmp_path), "demo_job")
    b = JobRun(spark, _cfg(tmp_path), "demo_job")
    assert a.run_id != b.run_id
