"""generate -> ingest -> preprocess -> train_topics -> demo topic_quality -> infer_topics -> user_mode on a small
generated dataset: model files, metadata and registry aliases, the demo mapping and quality from planted truth,
predictions per month, the unlabelled-cluster report, the mapping skeleton command, version checks (mapping and
immutable versions) and idempotent reruns."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml
from pyspark.ml import PipelineModel
from pyspark.sql import functions as F

from vocspark import config, io
from vocspark.demo import topic_quality
from vocspark.jobs import infer_topics, train_topics, user_mode
from vocspark.models import topic_mapping, topics
from vocspark.models.registry import ModelRegistry, VersionExistsError
from vocspark.models.topic_mapping import MappingVersionError

# reproducibility tolerances (a reload of the same doubles can differ in the last bit under another JIT path)
COST_REL = 1e-9
VECTOR_ABS = 1e-6

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def topic_base(demo_base):
    """The shared generated demo base (tests/conftest.py: 2,500 comments over 3 months, seed 11), this module's copy."""
    return demo_base


def cfg_for(base: Path) -> config.Config:
    return config.load(
        ROOT / "conf" / "local.yaml",
        {
            "base_uri": str(base),
            "topics.instagram.kmeans": {"k": 48, "max_iter": 10, "seed": 3},
            "topics.instagram.word2vec": {"vector_size": 50, "min_count": 2, "seed": 3, "num_partitions": 1},
        },
    )


def train(spark, cfg, version):
    return train_topics.run(spark, cfg, argparse.Namespace(model="instagram", until=None, version=version, run_id=None))


def infer(spark, cfg, version, mapping, months=None):
    return infer_topics.run(spark, cfg, argparse.Namespace(
        model="instagram", version=version, mapping=str(mapping), months=months, last_days=None, as_of=None, run_id=None))


def test_train_infer_and_rerun(spark, topic_base):
    cfg = cfg_for(topic_base)
    meta = train(spark, cfg, "t1")
    model_dir = topic_base / "models" / "instagram" / "t1"
    assert (model_dir / "metadata.json").exists() and (model_dir / "stages").is_dir()
    registry = ModelRegistry.of(spark, cfg)
    assert registry.aliases("instagram") == {"candidate": "t1", "champion": "t1"}  # first version: champion too
    promotion = [e for e in registry.history("instagram") if e.get("alias") == "champion"]
    assert [e["reason"] for e in promotion] == [train_topics.FIRST_VERSION_REASON]
    assert not (topic_base / "models" / "instagram" / "LATEST").exists()
    assert [type(s).__name__ for s in PipelineModel.load(str(model_dir)).stages] == [
        "Word2VecModel", "FlagZeroVectors", "KMeansModel", "NullClusterWithoutVector"]
    assert meta["k"] == 48 and sum(meta["cluster_sizes"].values()) == meta["training"]["sentences_clustered"]
    assert meta["training"]["months"][-1] == "2021-03"
    assert meta["training_cost"] > 0 and -1 <= meta["silhouette"] <= 1
    assert "quality_vs_planted_truth" not in meta  # production training knows nothing of the demo
    quality = topic_quality.evaluate(spark, cfg, "instagram")  # the candidate: t1
    assert quality["version"] == "t1" and quality == topic_quality.read_quality(spark, cfg, "instagram", "t1")
    assert quality["purity"] > 0.5 and quality["comment_label_accuracy"] > 0.5
    assert json.loads((model_dir / "metadata.json").read_text()) == meta  # the version folder's metadata untouched
    report = json.loads((model_dir / "report" / "clusters.json").read_text())
    assert len(report["clusters"]) == len(meta["cluster_sizes"])
    assert all(c["top_terms"] and c["examples"] for c in report["clusters"])
    assert (model_dir / "report" / "report.md").read_text().startswith("# Cluster report")
    manifest = json.loads((topic_base / "manifests" / "train_topics" / f"{meta['run_id']}.json").read_text())
    assert manifest["reconciled"] and manifest["run_id"] != "t1"  # named after the run, not the version
    with pytest.raises(VersionExistsError, match="version `t1` already exists.*immutable.*new --version"):
        train(spark, cfg, "t1")

    # the analyst's starting point: a skeleton for this version
    skeleton_path = topic_base / "skeleton.yaml"
    topic_mapping.main(["skeleton", "--model", "instagram", "--set", f"base_uri={topic_base}", "--out", str(skeleton_path)])
    skeleton = topic_mapping.parse_mapping(yaml.safe_load(skeleton_path.read_text()))
    assert skeleton.model_version == "t1" and set(skeleton.clusters) == {int(c) for c in meta["cluster_sizes"]}

    # demo mapping (planted truth), with one cluster left unlabelled to exercise the report
    mapping = yaml.safe_load((model_dir / "demo_mapping.yaml").read_text())
    assert mapping["generated_from"].startswith("planted truth")
    biggest = max(meta["cluster_sizes"], key=lambda c: meta["cluster_sizes"][c])
    mapping["clusters"][int(biggest)] = None
    mapping_path = topic_base / "mapping.yaml"
    mapping_path.write_text(yaml.safe_dump(mapping, allow_unicode=True))

    m1 = infer(spark, cfg, None, mapping_path)  # default: the champion, t1
    assert m1.extra["model_version"] == "t1"
    assert m1.reconciled and m1.read == m1.written > 0
    assert int(biggest) in m1.extra["unlabelled_clusters"]
    preds = io.read_dataset(spark, cfg.uri("predictions", "topics"))
    assert preds.count() == m1.written
    assert preds.select("doc_id").distinct().count() == m1.written
    months = sorted(p.name for p in (topic_base / "predictions" / "topics").glob("month=*"))
    assert months == ["month=2021-01", "month=2021-02", "month=2021-03"]
    assert preds.where((F.col("label") == "unassigned") & F.col("subject").isNotNull()).count() == 0
    assert preds.where(F.col("label") != "unassigned").count() > m1.written / 2
    assert set(r["category_name"] for r in preds.where(F.col("category").isNotNull()).collect()) <= {"elogio", "reclamação", "problema"}
    report_files = list((topic_base / "reports" / "infer_topics").glob("*/unlabelled_clusters.json"))
    assert report_files and json.loads(report_files[0].read_text())[0]["top_terms"]

    before = sorted(tuple(str(v) for v in r) for r in preds.collect())
    infer(spark, cfg, "t1", mapping_path)
    after = sorted(tuple(str(v) for v in r) for r in io.read_dataset(spark, cfg.uri("predictions", "topics")).collect())
    assert after == before

    # one month only: the other months stay as they were
    infer(spark, cfg, "t1", mapping_path, months="2021-02")
    assert io.read_dataset(spark, cfg.uri("predictions", "topics")).count() == len(before)

    # each user's 30-day dominant subject as of the end of the data, and a rerun that replaces it
    def mode_args(**kw):
        base = dict(as_of="2021-04-01", history_from=None, history_to=None, per_comment=False, predictions="topics", run_id=None)
        base.update(kw)
        return argparse.Namespace(**base)

    m_mode = user_mode.run(spark, cfg, mode_args())
    assert m_mode.reconciled and m_mode.written > 0 and m_mode.filtered.get("outside_window", 0) > 0
    subjects_dir = topic_base / "user_subjects" / "as_of=2021-04-01"
    assert subjects_dir.is_dir()
    users = io.read_dataset(spark, cfg.uri("user_subjects"))
    n_users = users.count()
    assert n_users == users.select("user_id").distinct().count() > 0
    user_mode.run(spark, cfg, mode_args())
    assert io.read_dataset(spark, cfg.uri("user_subjects")).count() == n_users

    # a mapping written for another version is refused before any Spark work
    other = dict(mapping, model_version="t0")
    other_path = topic_base / "other.yaml"
    other_path.write_text(yaml.safe_dump(other, allow_unicode=True))
    with pytest.raises(MappingVersionError, match="version `t0`"):
        infer(spark, cfg, "t1", other_path)


def test_training_twice_on_the_same_data_gives_the_same_model(spark, topic_base):
    """With ``word2vec.num_partitions: 1`` (this test's config) training is reproducible: same vocabulary vectors,
    same clusters, same cost, same demo quality. Spark's Word2Vec with more partitions is not (see
    vocspark.models.topics). Floats are compared with tolerances: the cost to a relative 1e-9 (it once came back
    as 377.80852067485 and 377.80852067485006 under load), vector components to 1e-6 absolute."""
    cfg = cfg_for(topic_base)
    first, second = train(spark, cfg, "r1"), train(spark, cfg, "r2")
    assert first["run_id"] != second["run_id"]
    assert first["cluster_sizes"] == second["cluster_sizes"]
    assert first["vocabulary_size"] == second["vocabulary_size"]
    assert first["training_cost"] == pytest.approx(second["training_cost"], rel=COST_REL)
    quality = [topic_quality.evaluate(spark, cfg, "instagram", v) for v in ("r1", "r2")]
    for key in ("purity", "adjusted_rand_index", "comment_label_accuracy"):
        assert quality[0][key] == pytest.approx(quality[1][key], rel=COST_REL), key
    assert quality[0]["comments_scored"] == quality[1]["comments_scored"]
    vectors = [
        {r["word"]: r["vector"].toArray().tolist()
         for r in topics.word2vec_stage(PipelineModel.load(str(topic_base / "models" / "instagram" / v))).getVectors().collect()}
        for v in ("r1", "r2")
    ]
    assert vectors[0].keys() == vectors[1].keys()
    for word, vector in vectors[0].items():
        assert vector == pytest.approx(vectors[1][word], abs=VECTOR_ABS), word
    registry = ModelRegistry.of(spark, cfg)
    assert registry.alias("instagram", "candidate") == "r2"
    assert registry.alias("instagram", "champion") != "r2"  # a later training does not move the champion
