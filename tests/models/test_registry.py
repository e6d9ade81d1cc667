"""The model registry: immutable versions, aliases, promotion history, legacy LATEST."""
from __future__ import annotations

import json

import pytest

from vocspark.models import registry as R


@pytest.fixture
def reg(spark, tmp_path):
    return R.ModelRegistry(spark, (tmp_path / "models").as_uri())


def _train(reg: R.ModelRegistry, name: str, version: str, **meta) -> R.ModelVersion:
    uri = reg.begin_version(name, version)
    reg.spark.createDataFrame([(1,)], "x int").write.parquet(uri + "/stages")  # stands in for a PipelineModel
    return reg.register(name, version, {"name": name, "version": version, **meta})


def test_register_makes_a_candidate_and_lists_versions(reg):
    _train(reg, "m", "v1", k=3)
    _train(reg, "m", "v2", k=4)
    assert reg.versions("m") == ["v1", "v2"]
    assert reg.names() == ["m"]
    assert reg.alias("m", R.CANDIDATE) == "v2"
    assert reg.alias("m", R.CHAMPION) is None
    assert reg.metadata("m", "v1")["k"] == 3
    got = reg.get("m", alias=R.CANDIDATE)
    assert (got.version, got.metadata["k"]) == ("v2", 4)
    assert got.uri.endswith("/models/m/v2")


def test_a_committed_version_is_immutable(reg):
    _train(reg, "m", "v1")
    with pytest.raises(R.VersionExistsError, match="`m` version `v1` already exists"):
        reg.begin_version("m", "v1")
    with pytest.raises(R.VersionExistsError):
        reg.register("m", "v1", {})


def test_a_killed_training_leaves_no_version_and_can_be_redone(reg, spark, tmp_path):
    uri = reg.begin_version("m", "v1")
    spark.createDataFrame([(1,)], "x int").write.parquet(uri + "/stages")  # killed before register
    assert reg.versions("m") == [] and not reg.exists("m", "v1")
    assert reg.begin_version("m", "v1") == uri
    assert not (tmp_path / "models" / "m" / "v1").exists()  # the leftover is cleared


def test_promote_moves_the_champion_and_records_who_why_when(reg, monkeypatch):
    monkeypatch.setenv(R.ACTOR_ENV, "monthly-workflow")
    _train(reg, "m", "v1")
    _train(reg, "m", "v2")
    assert reg.promote("m", "v1", reason="first champion", run_id="r1") is None
    assert reg.promote("m", "v2", reason="macro-F1 +0.02", run_id="r2") == "v1"
    assert reg.resolve("m") == "v2"
    assert reg.aliases("m") == {"candidate": "v2", "champion": "v2"}
    events = [e for e in reg.history("m") if e["event"] == "alias" and e["alias"] == "champion"]
    assert [(e["version"], e["previous"], e["reason"], e["actor"], e["run_id"]) for e in events] == [
        ("v1", None, "first champion", "monthly-workflow", "r1"),
        ("v2", "v1", "macro-F1 +0.02", "monthly-workflow", "r2"),
    ]
    assert all(e["at"].endswith("+00:00") for e in events)


def test_history_is_append_only(reg):
    _train(reg, "m", "v1")
    before = reg.history("m")
    reg.promote("m", "v1", reason="ok")
    after = reg.history("m")
    assert after[: len(before)] == before and len(after) == len(before) + 1


def test_bad_promotions_fail_naming_model_version_and_alias(reg):
    _train(reg, "m", "v1")
    with pytest.raises(R.RegistryError, match="model `m` has no version `v9`"):
        reg.promote("m", "v9", reason="x")
    with pytest.raises(R.RegistryError, match="unknown alias `gold`"):
        reg.promote("m", "v1", to="gold", reason="x")
    with pytest.raises(R.RegistryError, match="a reason is required"):
        reg.promote("m", "v1", reason=" ")
    with pytest.raises(R.RegistryError, match="model `m` has no `champion` version"):
        reg.resolve("m")
    with pytest.raises(R.RegistryError, match="model `other` has no `candidate` version"):
        reg.resolve("other", R.CANDIDATE)


@pytest.mark.parametrize("bad", ["", "a/b", ".hidden", "_tmp", "aliases", "LATEST"])
def test_invalid_versions_are_refused(reg, bad):
    with pytest.raises(R.RegistryError):
        reg.begin_version("m", bad)


def test_legacy_latest_is_read_until_an_alias_exists(reg, tmp_path):
    _train(reg, "m", "v1")
    # a model written before the registry: aliases absent, LATEST present
    for alias in R.ALIASES:
        (tmp_path / "models" / "m" / "aliases" / f"{alias}.json").unlink(missing_ok=True)
    (tmp_path / "models" / "m" / "LATEST").write_text("v1\n")
    assert reg.resolve("m") == "v1" and reg.alias("m", R.CANDIDATE) == "v1"
    _train(reg, "m", "v2")  # the first alias written ends the fallback: the legacy version stays champion
    assert reg.aliases("m") == {"candidate": "v2", "champion": "v1"}
    assert [e["reason"] for e in reg.history("m") if e.get("alias") == "champion"] == [
        "legacy LATEST version kept as champion"]


def test_first_champion_only_when_there_is_none(reg):
    reg.begin_version("m", "v1")
    reg.register("m", "v1", {}, first_champion_reason="first trained version")
    reg.begin_version("m", "v2")
    reg.register("m", "v2", {}, first_champion_reason="first trained version")
    assert reg.aliases("m") == {"candidate": "v2", "champion": "v1"}


def test_alias_files_are_plain_json(reg, tmp_path):
    _train(reg, "m", "v1")
    body = json.loads((tmp_path / "models" / "m" / "aliases" / "candidate.json").read_text())
    assert body["version"] == "v1" and body["reason"] == "trained"
