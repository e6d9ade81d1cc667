"""Faults on S3 (S3A against moto in server mode on loopback): a missing bucket is named before anything is
written, and a run killed in the middle of its S3 write leaves the previous partitions readable while a rerun
completes the months without duplicates."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from vocspark import args as args_mod, config
from vocspark.io import MissingInputError
from vocspark.jobs import ingest, preprocess

from .conftest import DUMMY_CREDENTIALS, S3A_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("small_plans")]
HEADER = ("marketplace\tcustomer_id\treview_id\tproduct_id\tproduct_parent\tproduct_title\tproduct_category\t"
          "star_rating\thelpful_votes\ttotal_votes\tvine\tverified_purchase\treview_headline\treview_body\treview_date")


def _upload_tree(client, bucket, root: Path) -> None:
    for path in sorted((root / "raw").rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"voc/{path.relative_to(root).as_posix()}")


def _cfg(bucket: str, root: Path, **sources):
    return config.resolve({"profile": "local", "base_uri": f"s3a://{bucket}/voc", "sources": sources}, root=root)


def _parquet(keys):
    return sorted(k for k in keys if k.endswith(".parquet") and "/.spark-staging" not in k and "/_temporary" not in k)


def test_missing_bucket_is_named(spark, s3, s3_endpoint, tmp_path):
    missing = "voc-no-such-bucket"
    hconf = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in {"endpoint": s3_endpoint, **S3A_SETTINGS}.items():  # stay on the local server
        hconf.set(f"fs.s3a.bucket.{missing}.{key}", value)
    cfg = _cfg(missing, tmp_path, ig={"kind": "instagram_csv", "path": "${base_uri}/raw/instagram"})
    with pytest.raises(MissingInputError, match=rf"sources\.ig\.path.*s3a://{missing}/voc/raw/instagram"):
        ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="x"))
    with pytest.raises(MissingInputError, match=rf"s3a://{missing}/voc/documents"):
        preprocess.run(spark, cfg, argparse.Namespace(sources=None, months=None, run_id="y"))


def test_missing_output_bucket_is_named_before_the_job_reads(spark, s3, s3_endpoint, tmp_path, write_raw_fixture):
    bucket, client = s3  # the raw files are in an existing bucket, base_uri names a missing one
    write_raw_fixture(tmp_path)
    _upload_tree(client, bucket, tmp_path)
    missing = "voc-no-such-output"
    hconf = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in {"endpoint": s3_endpoint, **S3A_SETTINGS}.items():
        hconf.set(f"fs.s3a.bucket.{missing}.{key}", value)
    conf_path = tmp_path / "conf" / "out.yaml"
    conf_path.parent.mkdir()
    conf_path.write_text(yaml.safe_dump({
        "profile": "local", "base_uri": f"s3a://{missing}/voc",
        "sources": {"ig": {"kind": "instagram_csv", "path": f"s3a://{bucket}/voc/raw/instagram", "lang": "pt"}}}))
    called = []
    with pytest.raises(args_mod.MissingBucketError, match=rf"`base_uri` bucket `{missing}`.*NoSuchBucket"):
        args_mod.run_job("ingest", "test", ingest.add_arguments, lambda *a: called.append(a), ["--config", str(conf_path)])
    assert called == []
    args_mod.require_base_bucket(spark, f"s3a://{bucket}/voc")  # an existing bucket passes
    args_mod.require_base_bucket(spark, f"s3a://{bucket}/not-yet-created")  # so does a prefix not written yet
    args_mod.require_base_bucket(spark, str(tmp_path))  # local paths are not checked here


def _write_reviews(root: Path, n: int) -> None:
    folder = root / "raw" / "amazon_reviews"
    folder.mkdir(parents=True)
    row = "US\t{n}\tR{n}\tB{p}\t9\tBlender\tKitchen\t4\t0\t0\tN\tY\tOk\tThis blender number {n} works very well\t2021-0{m}-{d:02d}"
    lines = [HEADER] + [row.format(n=i, p=i % 7, m=1 + i % 2, d=1 + i % 28) for i in range(n)]
    (folder / "amazon_reviews_us_Kitchen_v1_00.tsv").write_text("\n".join(lines) + "\n")


def test_killed_write_leaves_previous_partitions_and_rerun_completes(spark, s3, s3_endpoint, s3_keys, tmp_path):
    bucket, client = s3
    n = 200
    _write_reviews(tmp_path, n)
    _upload_tree(client, bucket, tmp_path)
    sources = {"amazon_reviews": {"kind": "amazon_reviews_tsv", "path": "${base_uri}/raw/amazon_reviews"}}
    cfg = _cfg(bucket, tmp_path, **sources)
    documents = f"s3a://{bucket}/voc/documents"
    assert ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="before")).written == n
    before = _parquet(s3_keys(client, bucket, "voc/documents/"))

    # The same job in its own process rebuilding every month (--reprocess all: the ledger already holds every
    # file), writing one file per record (a slow write), killed mid-write.
    s3a = {f"spark.hadoop.fs.s3a.{k}": v for k, v in {"endpoint": s3_endpoint, **S3A_SETTINGS}.items()}
    slow = {"profile": "local", "base_uri": f"s3a://{bucket}/voc", "sources": sources,
            "spark": {"master": "local[1]", "log_level": "ERROR",
                      "conf": {**s3a, "spark.sql.files.maxRecordsPerFile": 1, "spark.ui.enabled": False,
                               "spark.sql.shuffle.partitions": 2, "spark.sql.adaptive.enabled": False}}}
    slow_path = tmp_path / "conf" / "slow.yaml"
    slow_path.parent.mkdir()
    slow_path.write_text(yaml.safe_dump(slow))
    env = dict(os.environ, **DUMMY_CREDENTIALS, PYSPARK_PYTHON=sys.executable)
    proc = subprocess.Popen([sys.executable, str(ROOT / "jobs" / "ingest.py"), "--config", str(slow_path),
                             "--run-id", "killed", "--reprocess", "all"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    staged = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            staged = [k for k in s3_keys(client, bucket, "voc/documents/.spark-staging") if k.endswith(".parquet")]
            if len(staged) >= 2:
                break
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL and len(staged) >= 2, "the run was not killed in the middle of its write"

    # previous partitions untouched and readable; nothing of the killed run visible; no manifest for it
    assert _parquet(s3_keys(client, bucket, "voc/documents/")) == before
    assert spark.read.parquet(documents).count() == n
    assert s3_keys(client, bucket, "voc/manifests/ingest/killed.json") == []

    # the rerun completes the months without duplicates
    again = ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="rerun", reprocess="all"))
    assert again.written == n and again.reconciled
    rows = spark.read.parquet(documents)
    assert rows.count() == n and rows.select("doc_id").distinct().count() == n
    assert sorted(r["month"] for r in rows.groupBy("month").count().collect()) == ["2021-01", "2021-02"]
    assert len(_parquet(s3_keys(client, bucket, "voc/documents/"))) == len(before)
