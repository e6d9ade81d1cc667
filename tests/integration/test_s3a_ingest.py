"""Ingest and preprocess through Spark's S3A connector against an S3-compatible server: raw files read from and
documents, documents_clean and sentences written to the bucket, manifests there too, reruns replacing in place.

The server is moto in server mode on 127.0.0.1 (a free port; fixtures in conftest.py); boto3 uploads the raw
files and checks the outputs.
"""
from __future__ import annotations

import argparse
import json
import os

import pytest

from vocspark import config
from vocspark.io import MissingInputError
from vocspark.jobs import ingest, preprocess

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("small_plans")]


def _parquet(keys):
    return sorted(k for k in keys if k.endswith(".parquet") and "/.spark-staging" not in k)


def test_ingest_and_preprocess_through_s3a_reconcile_and_rerun_in_place(spark, s3, s3_keys, tmp_path, write_raw_fixture):
    bucket, client = s3
    write_raw_fixture(tmp_path)
    for path in sorted((tmp_path / "raw").rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"voc/{path.relative_to(tmp_path).as_posix()}")

    cfg = config.resolve(
        {
            "profile": "local",
            "base_uri": f"s3a://{bucket}/voc",
            "sources": {
                "amazon_reviews": {"kind": "amazon_reviews_tsv", "path": "${base_uri}/raw/amazon_reviews", "marketplaces": ["US"]},
                "tweets": {"kind": "twitter_firehose_json", "path": "${base_uri}/raw/tweets", "keywords": ["pedido"]},
                "instagram": {"kind": "instagram_csv", "path": "${base_uri}/raw/instagram", "lang": "pt"},
            },
        },
        root=tmp_path,
    )
    m1 = ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="s3-run1"))
    assert (m1.read, m1.written) == (18, 10) and m1.reconciled

    doc_keys = s3_keys(client, bucket, "voc/documents/")
    months = sorted({"/".join(k.split("/")[2:4]) for k in doc_keys if k.endswith(".parquet")})
    assert months == [
        "source=amazon_reviews/month=2021-01", "source=amazon_reviews/month=2021-02",
        "source=instagram/month=2021-03", "source=tweets/month=2021-02",
    ]
    manifest = json.loads(client.get_object(Bucket=bucket, Key="voc/manifests/ingest/s3-run1.json")["Body"].read())
    assert manifest["counts"]["read"] == 18 and manifest["reconciled"] is True
    assert manifest["inputs"]["sources.tweets.path"] == f"s3a://{bucket}/voc/raw/tweets"

    ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="s3-run2"))
    parquet_after = [k for k in s3_keys(client, bucket, "voc/documents/") if k.endswith(".parquet")]
    assert len(parquet_after) == len([k for k in doc_keys if k.endswith(".parquet")])  # replaced, not added
    assert spark.read.parquet(f"s3a://{bucket}/voc/documents").count() == 10

    # preprocess reads documents from and writes documents_clean and sentences to the bucket
    p1 = preprocess.run(spark, cfg, argparse.Namespace(sources=None, months=None, run_id="p1"))
    assert (p1.read, p1.reconciled) == (10, True)
    clean_keys = _parquet(s3_keys(client, bucket, "voc/documents_clean/"))
    assert sorted({"/".join(k.split("/")[2:4]) for k in clean_keys}) == months
    assert sorted({"/".join(k.split("/")[2:4]) for k in _parquet(s3_keys(client, bucket, "voc/sentences/"))}) == months
    manifest = json.loads(client.get_object(Bucket=bucket, Key="voc/manifests/preprocess/p1.json")["Body"].read())
    assert manifest["reconciled"] is True and manifest["inputs"]["documents"] == f"s3a://{bucket}/voc/documents"
    n_sentences = spark.read.parquet(f"s3a://{bucket}/voc/sentences").count()
    assert n_sentences >= p1.written > 0

    preprocess.run(spark, cfg, argparse.Namespace(sources=None, months=None, run_id="p2"))  # rerun: replaced
    assert len(_parquet(s3_keys(client, bucket, "voc/documents_clean/"))) == len(clean_keys)
    assert spark.read.parquet(f"s3a://{bucket}/voc/documents_clean").count() == p1.written
    assert spark.read.parquet(f"s3a://{bucket}/voc/sentences").count() == n_sentences


def test_missing_s3_input_is_named(spark, s3, tmp_path):
    bucket, _ = s3
    cfg = config.resolve(
        {"profile": "local", "base_uri": f"s3a://{bucket}/voc",
         "sources": {"ig": {"kind": "instagram_csv", "path": "${base_uri}/raw/nothing-here"}}},
        root=tmp_path,
    )
    with pytest.raises(MissingInputError, match=rf"sources\.ig\.path.*s3a://{bucket}/voc/raw/nothing-here"):
        ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="x"))
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
