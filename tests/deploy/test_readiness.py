"""`deploy workflows` refuses to deploy when a scheduled model has no champion, or the topic model's deployed
mapping is missing, invalid or written for another version: one line naming the model, the version and the
problem, before anything is uploaded or created. The registry's files are read without Spark (boto3 for S3,
the local file system otherwise) and agree with what ModelRegistry writes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vocspark.deploy import aws, readiness
from vocspark.deploy import __main__ as deploy_main

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

TOPIC, CLASSIFIER = "instagram", "product_category"
TOPIC_VERSION, CLASSIFIER_VERSION = "20210701T000000Z-aaaaaa", "20210701T000000Z-bbbbbb"  # conftest's ready_models
REGION = "us-east-1"
MAPPING = ('model: {model}\nmodel_version: "{version}"\n'
           "labels: {{entrega: {{subject: entrega, category: complaint}}}}\nclusters: {{0: entrega, 1: null}}\n")


def mapping_text(model: str, version: str) -> str:
    return MAPPING.format(model=model, version=version)


def local_cfg(base: str) -> dict:
    return {"base_uri": base, "deploy": {"topic_model": TOPIC, "classifier": CLASSIFIER}}


def write_model(root: Path, name: str, version: str, meta: dict, aliases: dict[str, str] | None = None) -> None:
    (root / "models" / name / version).mkdir(parents=True, exist_ok=True)
    (root / "models" / name / version / "metadata.json").write_text(json.dumps(meta))
    for alias, target in (aliases or {}).items():
        (root / "models" / name / "aliases").mkdir(exist_ok=True)
        (root / "models" / name / "aliases" / f"{alias}.json").write_text(json.dumps({"version": target}))


@pytest.fixture
def local_ready(tmp_path):
    """A local base with a champion per scheduled model and a valid mapping for the topic champion."""
    write_model(tmp_path, TOPIC, TOPIC_VERSION, {"k": 2}, {"champion": TOPIC_VERSION, "candidate": TOPIC_VERSION})
    write_model(tmp_path, CLASSIFIER, CLASSIFIER_VERSION, {}, {"champion": CLASSIFIER_VERSION})
    mapping = tmp_path / "instagram.yaml"
    mapping.write_text(mapping_text(TOPIC, TOPIC_VERSION))
    return tmp_path, mapping


def check_local(base: str, mapping: Path | str) -> dict[str, str]:
    return readiness.check_scheduled_models(local_cfg(base), str(mapping), readiness.reader())


def refusal(base: str, mapping: Path | str) -> str:
    with pytest.raises(readiness.DeployRefused) as err:
        check_local(base, mapping)
    message = str(err.value)
    assert "\n" not in message and message.startswith("refusing to deploy the workflows: ")
    return message


def test_ready_models_on_a_local_base_pass(local_ready):
    root, mapping = local_ready
    expected = {TOPIC: TOPIC_VERSION, CLASSIFIER: CLASSIFIER_VERSION}
    assert check_local(str(root), mapping) == expected
    assert check_local(root.as_uri(), mapping.as_uri()) == expected  # file:// URIs too


def test_no_champion_is_refused_naming_the_model(local_ready):
    root, mapping = local_ready
    (root / "models" / CLASSIFIER / "aliases" / "champion.json").unlink()
    (root / "models" / CLASSIFIER / "aliases" / "candidate.json").write_text(json.dumps({"version": CLASSIFIER_VERSION}))
    message = refusal(str(root), mapping)
    assert f"model `{CLASSIFIER}` has no champion" in message and "promote a candidate" in message
    assert f"`{TOPIC}`" not in message  # the ready model is not named


def test_legacy_latest_counts_as_champion_only_without_aliases(local_ready):
    """As ModelRegistry.alias: a model trained before the registry has only LATEST, read as champion; once any
    alias exists, LATEST is ignored."""
    root, mapping = local_ready
    model = root / "models" / CLASSIFIER
    (model / "aliases" / "champion.json").unlink()
    (model / "aliases").rmdir()
    (model / "LATEST").write_text(CLASSIFIER_VERSION + "\n")
    assert check_local(str(root), mapping)[CLASSIFIER] == CLASSIFIER_VERSION
    (model / "aliases").mkdir()
    (model / "aliases" / "candidate.json").write_text(json.dumps({"version": CLASSIFIER_VERSION}))
    assert f"model `{CLASSIFIER}` has no champion" in refusal(str(root), mapping)


def test_champion_of_an_uncommitted_version_is_refused(local_ready):
    root, mapping = local_ready
    (root / "models" / CLASSIFIER / "aliases" / "champion.json").write_text(json.dumps({"version": "v-killed"}))
    message = refusal(str(root), mapping)
    assert f"model `{CLASSIFIER}` champion `v-killed` is not a committed version" in message


@pytest.mark.parametrize("mapping_text, problem", [
    (None, "no topic mapping at"),
    (mapping_text(TOPIC, "20210601T000000Z-old000"),
     "not for the champion: {m}: mapping was written for model version `20210601T000000Z-old000`"),
    (mapping_text(TOPIC, TOPIC_VERSION).replace("category: complaint", "category: outrage"),
     "`labels.entrega.category` is `outrage`"),
    (mapping_text(TOPIC, TOPIC_VERSION).replace("1: null", "7: null"), "`clusters.7` is not a cluster of a 2-cluster"),
    (mapping_text("tweets", TOPIC_VERSION), "not for the champion: {m}: mapping is for model `tweets`"),
    ("model: [unclosed", "invalid topic mapping"),
])
def test_a_missing_invalid_or_foreign_mapping_is_refused(local_ready, mapping_text, problem):
    root, mapping = local_ready
    if mapping_text is None:
        mapping.unlink()
    else:
        mapping.write_text(mapping_text)
    message = refusal(str(root), mapping)
    assert f"model `{TOPIC}` champion `{TOPIC_VERSION}`" in message and problem.format(m=mapping) in message
    assert f"`{CLASSIFIER}`" not in message


def test_every_problem_in_one_line(local_ready):
    root, mapping = local_ready
    (root / "models" / CLASSIFIER / "aliases" / "champion.json").unlink()
    mapping.unlink()
    message = refusal(str(root), mapping)
    assert message.count("; ") == 1 and f"model `{TOPIC}`" in message and f"model `{CLASSIFIER}`" in message


def test_reader_agrees_with_the_registry(spark, tmp_path):
    """What ModelRegistry writes (register -> candidate, promote -> champion) is what the deployer reads."""
    from vocspark.models.registry import ModelRegistry

    registry = ModelRegistry(spark, (tmp_path / "models").as_uri())
    for name, version, meta in ((TOPIC, "v1", {"k": 2}), (TOPIC, "v2", {"k": 2}), (CLASSIFIER, "c1", {})):
        registry.register(name, version, meta)
    registry.promote(TOPIC, "v1", reason="test")
    mapping = tmp_path / "instagram.yaml"
    mapping.write_text(mapping_text(TOPIC, "v1"))
    assert f"model `{CLASSIFIER}` has no champion" in refusal(str(tmp_path), mapping)  # c1 is only a candidate
    registry.promote(CLASSIFIER, "c1", reason="test")
    assert check_local(str(tmp_path), mapping) == {TOPIC: registry.resolve(TOPIC), CLASSIFIER: registry.resolve(CLASSIFIER)}
    registry.promote(TOPIC, "v2", reason="test")  # champion moved, mapping still for v1
    assert "written for model version `v1`, but the model loaded is version `v2`" in refusal(str(tmp_path), mapping)


# --------------------------------------------------------------------------- on moto S3, through the deployer
def test_deploy_glue_refuses_before_creating_anything(glue_cfg, aws_env, ready_models):
    ready_models(glue_cfg, champions=False)
    with pytest.raises(readiness.DeployRefused, match=r"model `instagram` has no champion under "
                                                      r"s3://my-voc-bucket/vocspark/models/instagram"):
        aws.deploy_glue(glue_cfg, REGION)
    glue, iam = boto3.client("glue", region_name=REGION), boto3.client("iam", region_name=REGION)
    assert glue.list_jobs()["JobNames"] == [] and glue.list_workflows()["Workflows"] == []
    assert iam.list_roles()["Roles"] == []
    # single jobs (submit --target glue) do not need the scheduled models
    assert aws.deploy_glue(glue_cfg, REGION, job_names=["ingest"], with_workflows=False)["jobs"] == {
        "vocspark-ingest": "created"}


def test_the_deployed_mapping_is_read_from_s3(glue_cfg, aws_env, ready_models):
    ready_models(glue_cfg)
    assert aws.check_scheduled_models(glue_cfg, REGION) == {TOPIC: TOPIC_VERSION, CLASSIFIER: CLASSIFIER_VERSION}
    assert aws.deployed_mapping_uri(glue_cfg) == "s3://my-voc-bucket/vocspark-artifacts/conf/topics/instagram.yaml"
    ready_models(glue_cfg, mapping=mapping_text(TOPIC, "20210601T000000Z-old000"))
    with pytest.raises(readiness.DeployRefused) as err:
        aws.check_scheduled_models(glue_cfg, REGION)
    assert (f"model `instagram` champion `{TOPIC_VERSION}`: the topic mapping is not for the champion: "
            "s3://my-voc-bucket/vocspark-artifacts/conf/topics/instagram.yaml: mapping was written for model version "
            "`20210601T000000Z-old000`") in str(err.value)


def test_unreadable_registry_fails_naming_the_uri(glue_cfg, aws_env):
    with pytest.raises(readiness.DeployRefused, match=r"cannot read s3://my-voc-bucket/vocspark/models/instagram/"
                                                      r"aliases/champion\.json: .*NoSuchBucket"):
        aws.check_scheduled_models(glue_cfg, REGION)


def test_workflows_command_refuses_before_uploading(aws_env, ready_models, glue_cfg, monkeypatch, capsys):
    ready_models(glue_cfg, mapping=None)  # champions, but no mapping deployed (and none in conf/topics/)
    monkeypatch.setattr(aws, "mapping_to_deploy", lambda cfg: aws.deployed_mapping_uri(cfg))
    before = boto3.client("s3").list_objects_v2(Bucket="my-voc-bucket").get("KeyCount")
    assert deploy_main.main(["workflows", "--config", "conf/glue.yaml", "--zip", "/nonexistent.zip"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == ("python -m vocspark.deploy workflows: refusing to deploy the workflows: model `instagram` "
                    f"champion `{TOPIC_VERSION}`: no topic mapping at "
                    "s3://my-voc-bucket/vocspark-artifacts/conf/topics/instagram.yaml (python -m "
                    f"vocspark.models.topic_mapping skeleton --model instagram --version {TOPIC_VERSION}, label it, "
                    "save it as conf/topics/instagram.yaml)")
    assert boto3.client("s3").list_objects_v2(Bucket="my-voc-bucket").get("KeyCount") == before
    assert boto3.client("glue", region_name=REGION).list_jobs()["JobNames"] == []


def test_the_checkout_mapping_is_checked_when_it_will_be_uploaded(glue_cfg, tmp_path, monkeypatch):
    monkeypatch.setattr(aws, "PROJECT_ROOT", tmp_path)
    assert aws.mapping_to_deploy(glue_cfg) == "s3://my-voc-bucket/vocspark-artifacts/conf/topics/instagram.yaml"
    (tmp_path / "conf" / "topics").mkdir(parents=True)
    (tmp_path / "conf" / "topics" / "instagram.yaml").write_text(mapping_text(TOPIC, TOPIC_VERSION))
    assert aws.mapping_to_deploy(glue_cfg) == str(tmp_path / "conf" / "topics" / "instagram.yaml")
