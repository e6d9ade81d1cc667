"""spark-submit.sh --target emr|glue against a moto server on loopback: the artifacts are uploaded, the EMR step
carries the job and its arguments, the Glue job is created with the same definition and a run is started."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from vocspark.deploy.__main__ import glue_arguments

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def endpoint():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def env(endpoint):
    out = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
               AWS_ENDPOINT_URL=endpoint, VENV=str(Path(sys.executable).parents[1].relative_to(ROOT)))
    out.pop("PYTHONPATH", None)
    return out


def _client(service, endpoint):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _submit(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "spark-submit.sh"), *args], cwd="/", env=env, capture_output=True,
                          text=True, timeout=300)


def test_target_emr_uploads_and_adds_the_step(env, endpoint):
    bucket = f"art-{uuid.uuid4().hex[:8]}"
    s3, emr = _client("s3", endpoint), _client("emr", endpoint)
    s3.create_bucket(Bucket=bucket)
    cluster = emr.run_job_flow(Name="voc", ReleaseLabel="emr-7.9.0", Instances={
        "MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True},
        JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole")["JobFlowId"]
    proc = _submit(env, "--target", "emr", "user_mode", "--config", "conf/emr.yaml",
                   "--set", f"deploy.artifacts_uri=s3://{bucket}/art", "--set", f"deploy.emr.cluster_id={cluster}",
                   "--as-of", "2021-07-01")
    assert proc.returncode == 0, proc.stderr[-3000:]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {"art/python/vocspark.zip", "art/python/vocspark-deps.zip", "art/jobs/user_mode.py",
            "art/conf/emr.yaml"} <= keys
    steps = emr.list_steps(ClusterId=cluster)["Steps"]
    assert len(steps) == 1
    args = steps[0]["Config"]["Args"]
    assert args[0] == "spark-submit" and f"s3://{bucket}/art/jobs/user_mode.py" in args
    assert args[args.index("--py-files") + 1] == (
        f"s3://{bucket}/art/python/vocspark.zip,s3://{bucket}/art/python/vocspark-deps.zip")
    assert args[-4:] == ["--set", f"deploy.emr.cluster_id={cluster}", "--as-of", "2021-07-01"]


def test_target_glue_creates_the_job_and_starts_a_run(env, endpoint):
    bucket = f"art-{uuid.uuid4().hex[:8]}"
    s3, glue = _client("s3", endpoint), _client("glue", endpoint)
    s3.create_bucket(Bucket=bucket)
    proc = _submit(env, "--target", "glue", "user_mode", "--config", "conf/glue.yaml",
                   "--set", f"deploy.artifacts_uri=s3://{bucket}/art", "--set", "deploy.name_prefix=voctest",
                   "--as-of", "2021-07-01")
    assert proc.returncode == 0, proc.stderr[-3000:]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {"art/python/vocspark.zip", "art/jobs/user_mode.py", "art/conf/glue.yaml"} <= keys
    assert any(k.startswith("art/jars/spark-nlp_2.12-") for k in keys)
    job = glue.get_job(JobName="voctest-user_mode")["Job"]
    assert job["Command"]["ScriptLocation"] == f"s3://{bucket}/art/jobs/user_mode.py"
    assert job["DefaultArguments"]["--extra-py-files"] == f"s3://{bucket}/art/python/vocspark.zip"
    assert "snowballstemmer==3.1.1" in job["DefaultArguments"]["--additional-python-modules"].split(",")
    assert "art/python/vocspark-deps.zip" not in keys  # Glue pip-installs the dependencies
    runs = glue.get_job_runs(JobName="voctest-user_mode")["JobRuns"]
    assert len(runs) == 1 and runs[0]["Arguments"]["--as-of"] == "2021-07-01"


def test_missing_artifacts_bucket_is_named(env):
    proc = _submit(env, "--target", "emr", "user_mode", "--config", "conf/emr.yaml",
                   "--set", "deploy.artifacts_uri=s3://no-such-bucket-here/art")
    assert proc.returncode != 0 and "no-such-bucket-here" in proc.stderr


def test_glue_arguments_from_job_arguments():
    assert glue_arguments(["--as-of", "2021-07-01", "--per-comment", "--model", "x"]) == {
        "--as-of": "2021-07-01", "--per-comment": "", "--model": "x"}
    assert glue_arguments(["--set", "a=1", "--set", "b.c=2"]) == {"--set": "a=1\nb.c=2"}
    with pytest.raises(ValueError, match="--model is repeated"):
        glue_arguments(["--model", "a", "--model", "b"])


def test_workflows_command_uploads_everything_and_deploys(env, endpoint):
    bucket = f"art-{uuid.uuid4().hex[:8]}"
    s3, glue, sns = _client("s3", endpoint), _client("glue", endpoint), _client("sns", endpoint)
    s3.create_bucket(Bucket=bucket)
    command = [sys.executable, "-m", "vocspark.deploy", "workflows", "--config", "conf/glue.yaml",
               "--set", f"deploy.artifacts_uri=s3://{bucket}/art", "--set", "deploy.name_prefix=vocwf",
               "--set", f"base_uri=s3://{bucket}/data", "--set", "deploy.topic_model=wf_topics"]
    # no champion yet: refused in one line, before anything is uploaded
    refused = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(
        "python -m vocspark.deploy workflows: refusing to deploy the workflows: model `wf_topics` has no champion")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    # the scheduled models' champions and the deployed mapping for the topic champion
    for name, meta in (("wf_topics", {"k": 1}), ("product_category", {})):
        s3.put_object(Bucket=bucket, Key=f"data/models/{name}/v1/metadata.json", Body=json.dumps(meta).encode())
        s3.put_object(Bucket=bucket, Key=f"data/models/{name}/aliases/champion.json", Body=b'{"version": "v1"}')
    s3.put_object(Bucket=bucket, Key="art/conf/topics/wf_topics.yaml", Body=(
        b'model: wf_topics\nmodel_version: "v1"\nlabels: {a: {subject: a, category: praise}}\nclusters: {0: a}\n'))
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {f"art/jobs/{j}.py" for j in ("ingest", "preprocess", "user_mode", "load_warehouse", "promote")} <= keys
    assert {"art/python/vocspark.zip", "art/conf/glue.yaml"} <= keys
    assert {"vocwf-monthly-training", "vocwf-weekly-inference"} <= set(glue.list_workflows()["Workflows"])
    assert glue.get_trigger(Name="vocwf-weekly-start")["Trigger"]["Schedule"] == "cron(0 6 ? * MON *)"
    assert glue.get_job(JobName="vocwf-preprocess-monthly")["Job"]["Command"]["ScriptLocation"] == (
        f"s3://{bucket}/art/jobs/preprocess.py")
    assert f"arn:aws:sns:{REGION}:123456789012:vocwf-alerts" in {t["TopicArn"] for t in sns.list_topics()["Topics"]}
