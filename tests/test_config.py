"""Config loading: every shipped config validates; unknown keys, wrong types and missing paths are named."""
from __future__ import annotations

import argparse
import pickle
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
import yaml

from vocspark import args as args_mod
from vocspark import config, jars
from vocspark.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def minimal(**extra):
    data = {
        "profile": "local",
        "base_uri": "data",
        "sources": {"ig": {"kind": "instagram_csv", "path": "${base_uri}/raw/instagram", "lang": "pt"}},
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "conf").glob("*.yaml")))
def test_shipped_configs_validate(name):
    cfg = config.load(ROOT / "conf" / name, check_paths=False)
    assert cfg["profile"] in ("local", "emr", "glue")
    assert cfg["sources"]
    settings = cfg.typed  # the spec and the dataclasses agree on every shipped config
    assert settings.profile == cfg["profile"] and set(settings.sources) == set(cfg["sources"])


def test_local_config_resolves_paths_against_project_root():
    cfg = config.load(ROOT / "conf" / "local.yaml")
    assert cfg.base_uri == (ROOT / "data").as_uri()
    assert cfg.source_uri("tweets") == (ROOT / "data" / "raw" / "tweets").as_uri()
    assert cfg.uri("documents") == cfg.base_uri + "/documents"
    assert cfg["ingest"] == {"min_chars": 5, "max_chars": 5000, "output_partitions_per_month": 1}


def test_defaults_are_filled(tmp_path):
    cfg = config.resolve(minimal(), root=tmp_path)
    assert cfg["spark"]["app_name"] == "vocspark"
    assert cfg["preprocess"]["engine"] == "arrow"
    assert cfg["sources"]["ig"]["enabled"] is True and cfg["sources"]["ig"]["langs"] == ["en", "pt", "es"]


@pytest.mark.parametrize(
    "data, message",
    [
        (minimal(extra_key=1), r"unknown key `extra_key`"),
        (minimal(spark={"mastr": "local"}), r"unknown key `spark\.mastr`"),
        (minimal(ingest={"min_chars": "5"}), r"`ingest\.min_chars` must be int, got str"),
        (minimal(ingest={"min_chars": True}), r"`ingest\.min_chars` must be int, got bool"),
        (minimal(ingest={"max_chars": 0}), r"`ingest\.max_chars` must be > 0"),
        (minimal(ingest={"min_chars": 10, "max_chars": 5}), r"`ingest\.min_chars` must be smaller"),
        (minimal(profile="aws"), r"`profile` must be one of"),
        (minimal(sources={"ig": {"kind": "csv", "path": "x"}}), r"`sources\.ig\.kind` must be one of"),
        (minimal(sources={"ig": {"kind": "instagram_csv"}}), r"missing required key `sources\.ig\.path`"),
        (minimal(sources={"ig": {"kind": "instagram_csv", "path": "x", "keywords": [1]}}), r"every item of `sources\.ig\.keywords`"),
        (minimal(demo={"malformed_fraction": 2.0}), r"`demo\.malformed_fraction` must be between 0 and 1"),
        (minimal(spark={"conf": {"spark.x": [1]}}), r"every item of `spark\.conf`"),
        ({"profile": "local", "sources": {}}, r"missing required key `base_uri`"),
        (minimal(base_uri="ftp://host/x"), r"`base_uri` unsupported URI scheme `ftp`"),
    ],
)
def test_bad_config_names_the_key(tmp_path, data, message):
    with pytest.raises(ConfigError, match=message):
        config.resolve(data, root=tmp_path)


def test_missing_base_parent_is_named(tmp_path):
    with pytest.raises(ConfigError, match="base_uri.*does not exist"):
        config.resolve(minimal(base_uri=str(tmp_path / "no" / "such" / "base")), root=tmp_path)


def test_remote_uris_are_kept(tmp_path):
    cfg = config.resolve(minimal(base_uri="s3a://bucket/voc/"), root=tmp_path)
    assert cfg.base_uri == "s3a://bucket/voc"
    assert cfg.source_uri("ig") == "s3a://bucket/voc/raw/instagram"
    assert config.is_remote(cfg.base_uri) and config.local_path(cfg.base_uri) is None


def test_load_file_with_overrides_and_errors(tmp_path):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    path = conf_dir / "x.yaml"
    path.write_text(yaml.safe_dump(minimal()))
    cfg = config.load(path, {"ingest.max_chars": 100, "base_uri": "out"})
    assert cfg["ingest"]["max_chars"] == 100
    assert cfg.base_uri == (tmp_path / "out").as_uri()  # relative to the folder holding conf/
    assert config.parse_override("ingest.min_chars=3") == ("ingest.min_chars", 3)
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(tmp_path / "nope.yaml")
    path.write_text("profile: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.load(path)
    with pytest.raises(ConfigError, match="key.sub=value"):
        config.parse_override("novalue")


def test_args_parse_and_glue_extras(tmp_path):
    parser = args_mod.base_parser("t", "test")
    parser.add_argument("--sources")
    conf = str(ROOT / "conf" / "local.yaml")
    ns, cfg = args_mod.parse(parser, ["--config", conf, "--set", "ingest.min_chars=3", "--sources", "tweets"])
    assert ns.sources == "tweets" and cfg["ingest"]["min_chars"] == 3
    with pytest.raises(SystemExit):
        args_mod.parse(parser, ["--config", conf, "--bogus", "1"])
    glue_argv = ["--JOB_NAME", "ingest", "--config", conf, "--JOB_RUN_ID", "jr_1", "--TempDir", "s3://t/"]
    ns, _ = args_mod.parse(parser, glue_argv)
    assert ns.JOB_NAME == "ingest"


def test_jar_list_is_one_place():
    coords = jars.packages_arg().split(",")
    assert any(c.startswith("org.apache.hadoop:hadoop-aws:3.3.4") for c in coords)
    assert any(c.startswith("com.amazonaws:aws-java-sdk-bundle:1.12.262") for c in coords)
    assert any(c.startswith("com.johnsnowlabs.nlp:spark-nlp_2.12:") for c in coords)
    assert any(c.startswith("org.postgresql:postgresql:") for c in coords)
    assert "com.johnsnowlabs.nlp:tensorflow-cpu_2.12" in jars.excludes_arg()
    pom = jars.pom_xml()
    assert pom.count("<dependency>") == len(jars.JARS)
    fetched = [Path(p).name for p in jars.local_jars()]
    assert "hadoop-aws-3.3.4.jar" in fetched and any(n.startswith("spark-nlp_2.12") for n in fetched)


def test_pyspark_hadoop_matches_hadoop_aws(spark):
    hadoop = spark.sparkContext._jvm.org.apache.hadoop.util.VersionInfo.getVersion()
    assert hadoop == jars.HADOOP_VERSION


# --------------------------------------------------------------------------- the typed view
def test_typed_view_is_nested_frozen_dataclasses_with_defaults_filled(tmp_path):
    cfg = config.resolve(minimal(topics={"ig": {"kmeans": {"k": 7}}}, analytics={"sample": {"fraction": 1}}),
                         root=tmp_path)
    settings = cfg.typed
    assert isinstance(settings, config.Settings) and isinstance(settings.ingest, config.IngestConfig)
    assert (settings.ingest.min_chars, settings.ingest.max_chars) == (5, 5000)  # defaults, as in the dict
    assert settings.preprocess.engine == "arrow" and settings.spark.app_name == "vocspark"
    source = settings.sources["ig"]
    assert isinstance(source, config.SourceConfig)
    assert (source.kind, source.lang, source.enabled) == ("instagram_csv", "pt", True)
    assert source.path == cfg["sources"]["ig"]["path"] and source.path.endswith("/data/raw/instagram")
    assert source.langs == ("en", "pt", "es") and source.keywords is None  # lists become tuples
    topic = settings.topics["ig"]
    assert isinstance(topic.kmeans, config.KMeansConfig) and topic.kmeans.k == 7
    assert topic.word2vec.vector_size == 100 and topic.sources == ("instagram",)
    assert isinstance(settings.analytics.sample.fraction, float) and settings.analytics.sample.fraction == 1.0
    assert settings.warehouse.tables.predictions == "voc_comment_topics" and settings.warehouse.url is None
    assert settings.uri("documents") == cfg.uri("documents")


def test_typed_view_cannot_be_changed(tmp_path):
    settings = config.resolve(minimal(), root=tmp_path).typed
    with pytest.raises(FrozenInstanceError):
        settings.ingest.min_chars = 1
    with pytest.raises(FrozenInstanceError):
        settings.sources["ig"].path = "elsewhere"
    with pytest.raises(TypeError):
        settings.sources["other"] = settings.sources["ig"]  # the free-keyed maps are read-only
    with pytest.raises(TypeError):
        settings.spark.conf["spark.x"] = 1
    assert pickle.loads(pickle.dumps(settings)) == settings  # it still travels (Spark closures, copies)


def test_typed_view_follows_edits_of_the_dict(tmp_path):
    cfg = config.resolve(minimal(), root=tmp_path)
    cfg["preprocess"]["engine"] = "sql"  # benchmarks and tests edit the dict before running a job
    assert cfg.typed.preprocess.engine == "sql"


def test_spec_and_dataclasses_must_agree():
    with pytest.raises(TypeError, match=r"`ingest\.output_partitions_per_month` \(not in the validated config\)"):
        config.typed_view(config.IngestConfig, {"min_chars": 1, "max_chars": 9}, "ingest")
    with pytest.raises(TypeError, match=r"`ingest\.extra` \(not a field of IngestConfig\)"):
        config.typed_view(config.IngestConfig,
                          {"min_chars": 1, "max_chars": 9, "output_partitions_per_month": 1, "extra": 0}, "ingest")


def test_a_source_config_alone_is_validated_with_the_same_errors():
    source = config.SourceConfig.from_dict({"kind": "amazon_reviews_tsv", "path": "raw", "marketplaces": ["US"]}, "a")
    assert source.marketplaces == ("US",) and source.langs == ("en", "pt", "es") and source.lang is None
    with pytest.raises(ConfigError, match=r"`sources\.a\.kind` must be one of"):
        config.SourceConfig.from_dict({"kind": "csv", "path": "x"}, "a")
    with pytest.raises(ConfigError, match=r"missing required key `sources\.a\.path`"):
        config.SourceConfig.from_dict({"kind": "instagram_csv"}, "a")
