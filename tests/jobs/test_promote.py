"""promote (topic models): the champion moves only through the gate; failed gates say why; errors name things."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

from vocspark import config
from vocspark.config import ConfigError
from vocspark.jobs import promote
from vocspark.models.registry import ModelRegistry, RegistryError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(spark, tmp_path):
    cfg = config.load(ROOT / "conf" / "local.yaml", {"base_uri": str(tmp_path / "base")})
    reg = ModelRegistry.of(spark, cfg)
    for version in ("v1", "v2"):
        reg.begin_version("instagram", version)
        reg.register("instagram", version, {"name": "instagram", "version": version, "k": 3},
                     first_champion_reason="first trained version")
    return cfg, reg, tmp_path


def _mapping(path: Path, version: str, clusters: dict) -> str:
    path.write_text(yaml.safe_dump({
        "model": "instagram", "model_version": version,
        "labels": {"atraso": {"subject": "entrega", "category": "problem"}},
        "clusters": clusters,
    }))
    return str(path)


def _run(spark, cfg, run_id, **kw):
    ns = argparse.Namespace(topic_model="instagram", classifier=None, mapping=None, version=None, dry_run=False,
                            run_id=run_id)
    for k, v in kw.items():
        setattr(ns, k, v)
    promote.run(spark, cfg, ns)
    return json.loads((Path(cfg.base_uri.replace("file://", "")) / "manifests" / "promote" / f"{run_id}.json").read_text())


def test_a_candidate_with_an_undecided_cluster_stays_candidate(spark, env):
    cfg, reg, tmp = env
    mapping = _mapping(tmp / "m.yaml", "v2", {0: "atraso", 1: "unassigned", 2: None})
    body = _run(spark, cfg, "p1", mapping=mapping)
    (d,) = body["extra"]["decisions"]
    assert d["decision"] == "kept champion" and not d["passed"]
    assert "not labelled yet" in " ".join(d["reasons"])
    assert reg.aliases("instagram") == {"candidate": "v2", "champion": "v1"}
    assert body["counts"] == {"read": 1, "written": 0, "rejected": {}, "filtered": {"gate_failed": 1}}


def test_a_mapping_for_another_version_or_none_fails_the_gate(spark, env):
    cfg, reg, tmp = env
    other = _mapping(tmp / "m.yaml", "v1", {0: "atraso", 1: "atraso", 2: "atraso"})
    (d,) = _run(spark, cfg, "p2", mapping=other)["extra"]["decisions"]
    assert not d["passed"] and "not instagram v2" in d["reasons"][0]
    (d,) = _run(spark, cfg, "p3", mapping=str(tmp / "absent.yaml"))["extra"]["decisions"]
    assert not d["passed"] and "topic mapping not found" in d["reasons"][0]
    assert reg.resolve("instagram") == "v1"


def test_a_decided_mapping_promotes_then_a_rerun_changes_nothing(spark, env):
    cfg, reg, tmp = env
    mapping = _mapping(tmp / "m.yaml", "v2", {0: "atraso", 1: "unassigned", 2: "atraso"})
    dry = _run(spark, cfg, "p4", mapping=mapping, dry_run=True)
    assert dry["extra"]["decisions"][0]["decision"] == "would promote (dry run)" and reg.resolve("instagram") == "v1"
    body = _run(spark, cfg, "p5", mapping=mapping)
    assert body["extra"]["decisions"][0]["decision"] == "promoted" and body["counts"]["written"] == 1
    assert reg.resolve("instagram") == "v2"
    last = reg.history("instagram")[-1]
    assert (last["alias"], last["version"], last["previous"], last["run_id"]) == ("champion", "v2", "v1", "p5")
    assert "passes the gate" in last["reason"]
    again = _run(spark, cfg, "p6", mapping=mapping)
    assert again["counts"]["filtered"] == {"already_champion": 1} and reg.resolve("instagram") == "v2"


def test_what_cannot_be_judged_fails_naming_it(spark, env):
    cfg, _, tmp = env
    with pytest.raises(RegistryError, match="model `instagram` has no version `v9`"):
        _run(spark, cfg, "p7", version="v9")
    with pytest.raises(ConfigError, match="unknown topic model `topics.nope`"):
        _run(spark, cfg, "p8", topic_model="nope")
    with pytest.raises(ConfigError, match="name a model"):
        _run(spark, cfg, "p9", topic_model=None)
