"""Ingest reading raw files from and writing documents to an S3-compatible server through Spark's S3A connector.

The server is moto in server mode on 127.0.0.1 (a free port); boto3 uploads the raw files and checks the
outputs. Credentials are moto's dummy values passed through the default provider chain (JVM system properties
and environment variables), never through config.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import uuid

import pytest

from vocspark import config
from vocspark.io import MissingInputError
from vocspark.jobs import ingest

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(spark, s3_endpoint, monkeypatch):
    """A fresh bucket, a boto3 client and Spark's S3A pointed at the local server."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    jvm = spark.sparkContext._jvm
    jvm.java.lang.System.setProperty("aws.accessKeyId", "testing")
    jvm.java.lang.System.setProperty("aws.secretKey", "testing")
    bucket = f"voc-{uuid.uuid4().hex[:10]}"  # new bucket: S3A FileSystem instances are cached per bucket
    hconf = spark.sparkContext._jsc.hadoopConfiguration()
    settings = {
        "endpoint": s3_endpoint,
        "path.style.access": "true",
        "connection.ssl.enabled": "false",
        "endpoint.region": "us-east-1",
        "aws.credentials.provider": "com.amazonaws.auth.DefaultAWSCredentialsProviderChain",
        "change.detection.mode": "none",
    }
    for key, value in settings.items():
        hconf.set(f"fs.s3a.bucket.{bucket}.{key}", value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    yield bucket, client


def _keys(client, bucket, prefix):
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


def test_ingest_through_s3a_reconciles_and_reruns_in_place(spark, s3, tmp_path, write_raw_fixture):
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

    doc_keys = _keys(client, bucket, "voc/documents/")
    months = sorted({"/".join(k.split("/")[2:4]) for k in doc_keys if k.endswith(".parquet")})
    assert months == [
        "source=amazon_reviews/month=2021-01", "source=amazon_reviews/month=2021-02",
        "source=instagram/month=2021-03", "source=tweets/month=2021-02",
    ]
    manifest = json.loads(client.get_object(Bucket=bucket, Key="voc/manifests/ingest/s3-run1.json")["Body"].read())
    assert manifest["counts"]["read"] == 18 and manifest["reconciled"] is True
    assert manifest["inputs"]["sources.tweets.path"] == f"s3a://{bucket}/voc/raw/tweets"

    ingest.run(spark, cfg, argparse.Namespace(sources=None, run_id="s3-run2"))
    parquet_after = [k for k in _keys(client, bucket, "voc/documents/") if k.endswith(".parquet")]
    assert len(parquet_after) == len([k for k in doc_keys if k.endswith(".parquet")])  # replaced, not added
    assert spark.read.parquet(f"s3a://{bucket}/voc/documents").count() == 10


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
