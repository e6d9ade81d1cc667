"""Shared deployment fixtures: conf/glue.yaml, a moto AWS account, and the scheduled models `deploy workflows`
needs (a committed champion per model, the deployed topic mapping for the topic model's champion)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vocspark import config
from vocspark.deploy import definitions as d

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TOPIC_VERSION, CLASSIFIER_VERSION = "20210701T000000Z-aaaaaa", "20210701T000000Z-bbbbbb"


@pytest.fixture
def glue_cfg():
    return config.load(ROOT / "conf" / "glue.yaml", check_paths=False)


@pytest.fixture
def aws_env(monkeypatch):
    moto = pytest.importorskip("moto")
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with moto.mock_aws():
        yield


def _mapping_yaml(model: str, version: str) -> str:
    """A valid mapping of a 2-cluster model (cluster 1 explicitly not labelled)."""
    return (f'model: {model}\nmodel_version: "{version}"\n'
            "labels: {entrega: {subject: entrega, category: complaint}}\nclusters: {0: entrega, 1: null}\n")


@pytest.fixture
def ready_models():
    """``publish(cfg, ...)``: on moto's S3, under the config's base URI and artifacts URI, what `deploy workflows`
    needs; each part can be left out or altered to make one problem."""
    import boto3

    def publish(cfg, topic_version=TOPIC_VERSION, classifier_version=CLASSIFIER_VERSION, mapping: str | None = "",
                champions=True) -> None:
        s3 = boto3.client("s3", region_name=REGION)
        data_bucket, data_prefix = d.split_s3(cfg["base_uri"], "base_uri")
        art_bucket, art_prefix = d.split_s3(cfg["deploy"]["artifacts_uri"], "deploy.artifacts_uri")
        for bucket in {data_bucket, art_bucket}:
            s3.create_bucket(Bucket=bucket)
        topic_model = cfg["deploy"]["topic_model"]
        for name, version, meta in ((topic_model, topic_version, {"k": 2}),
                                    (cfg["deploy"]["classifier"], classifier_version, {})):
            root = f"{data_prefix}/models/{name}"
            s3.put_object(Bucket=data_bucket, Key=f"{root}/{version}/metadata.json", Body=json.dumps(meta).encode())
            if champions:
                s3.put_object(Bucket=data_bucket, Key=f"{root}/aliases/champion.json",
                              Body=json.dumps({"version": version, "reason": "test"}).encode())
        if mapping is not None:
            body = mapping or _mapping_yaml(topic_model, topic_version)
            s3.put_object(Bucket=art_bucket, Key=f"{art_prefix}/{d.topic_mapping_key(topic_model)}",
                          Body=body.encode())

    return publish
