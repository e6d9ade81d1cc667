"""Fixtures for the S3A integration tests: moto in server mode on 127.0.0.1 (a free port), a fresh bucket per test
and Spark's S3A connector pointed at it. Credentials are moto's dummy values passed through the default provider
chain (JVM system properties and environment variables), never through config."""
from __future__ import annotations

import socket
import uuid

import pytest

S3A_SETTINGS = {
    "path.style.access": "true",
    "connection.ssl.enabled": "false",
    "endpoint.region": "us-east-1",
    "aws.credentials.provider": "com.amazonaws.auth.DefaultAWSCredentialsProviderChain",
    "change.detection.mode": "none",
}
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    moto_server = pytest.importorskip("moto.server")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(spark, s3_endpoint, monkeypatch):
    """A fresh bucket, a boto3 client and Spark's S3A pointed at the local server."""
    boto3 = pytest.importorskip("boto3")
    for key, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    jvm = spark.sparkContext._jvm
    jvm.java.lang.System.setProperty("aws.accessKeyId", "testing")
    jvm.java.lang.System.setProperty("aws.secretKey", "testing")
    bucket = f"voc-{uuid.uuid4().hex[:10]}"  # new bucket: S3A FileSystem instances are cached per bucket
    hconf = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in {"endpoint": s3_endpoint, **S3A_SETTINGS}.items():
        hconf.set(f"fs.s3a.bucket.{bucket}.{key}", value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    yield bucket, client


def list_keys(client, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


@pytest.fixture
def s3_keys():
    return list_keys
